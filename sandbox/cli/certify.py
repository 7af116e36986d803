"""``postback-sandbox certify``: certify a partner's postback endpoint with the battery of
``delivery/certify_cases.py``; print a line per case, write the HTML report and JUnit.

Exit codes: 0 no case failed (warnings allowed); 1 a case failed; 2 usage or configuration.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click

from sandbox.cli import main
from sandbox.cli._options import PRESET_NAMES, db_option, read_profile
from sandbox.clock import SystemClock
from sandbox.delivery.certify import certify
from sandbox.delivery.certify_cases import CaseResult
from sandbox.delivery.certify_report import report_html, report_junit
from sandbox.scenarios.one_shot import OneShot, check
from sandbox.store import Store


@main.command("certify", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--target", required=True, metavar="URL",
              help="The partner's endpoint; the preset's paths go under it.")
@click.option("--preset", default="appsflyer", show_default=True, metavar="NAME",
              help=f"Whose postbacks to send: {', '.join(PRESET_NAMES)}.")
@click.option("--profile", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Sign every postback with this profile (YAML or JSON, shaped like a "
                   "network's `signing:`); adds the wrong-signature case.")
@click.option("--report", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              default=None, help="Write the HTML report here.")
@click.option("--junit", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              default=None, help="Write a JUnit case per battery case here.")
@click.option("--pause", type=click.FloatRange(0, 60), default=0.5, show_default=True,
              help="Seconds between requests.")
@click.option("--max-requests", type=click.IntRange(1, 1000), default=40, show_default=True,
              help="Send no more than this many requests in all; later cases are skipped.")
@click.option("--timeout", type=click.FloatRange(0.1, 300), default=5.0, show_default=True,
              help="Seconds to wait for each answer.")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Same seed, same ids and devices (default: a new one, printed).")
@db_option("SQLite database (or postgresql:// URL) where every request and answer is logged.")
def certify_command(target: str, preset: str, profile: Path | None, report: Path | None,
                    junit: Path | None, pause: float, max_requests: int, timeout: float,
                    seed: int | None, db: str) -> None:
    """Certify a partner's postback endpoint: send a documented battery, judge each answer.

    Install, common in-app events, unicode and percent-encoded values, large and zero
    revenue, a repeated postback, a retry after a 5xx, a wrong signature (with --profile) and
    a slow request, one at a time; each gets a verdict and what a real MMP would do next.
    """
    signing = read_profile(profile)
    base = OneShot(preset=preset, kind="install", to=target,
                   seed=secrets.randbelow(1_000_000) if seed is None else seed,
                   signing=signing, timeout=timeout, at=SystemClock().now().timestamp())
    check(base)
    click.echo(f"certifying {target} as {preset} sends (seed {base.seed}):")
    store = Store(db)
    try:
        done = certify(store, base, signing, clock=SystemClock(), pause=pause,
                       max_requests=max_requests, on_case=_say)
    finally:
        store.close()
    click.echo(done.summary())
    if report is not None:
        report.write_text(report_html(done), encoding="utf-8")
        click.echo(f"report: {report}")
    if junit is not None:
        junit.write_text(report_junit(done), encoding="utf-8")
    sys.exit(1 if done.failed else 0)


def _say(result: CaseResult) -> None:
    verdict = result.verdict
    click.echo(f"  {verdict.outcome.upper():7} {result.case.name}: {verdict.says}")

