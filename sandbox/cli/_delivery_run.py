"""Delivering a scenario from the command line (``run`` and ``demo``): a progress bar on a
terminal, a summary at the end, the expectations' report, and the exit code.

Exit codes (documented in ``run --help``): 0 every postback delivered (or failed where the
scenario allows it) and, with --check, every expectation holds; 1 a postback did not end
delivered or an expectation failed; 2 a scenario, usage or configuration error (including
--check with nothing to check); 130 interrupted.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from sandbox.clock import SystemClock
from sandbox.delivery.engine import Stats
from sandbox.delivery.expectations import check_expectations, parse_expectations
from sandbox.delivery.run import RunOptions, ScenarioRun, undelivered
from sandbox.query.junit import junit_xml
from sandbox.query.report import report
from sandbox.scenarios.model import Scenario
from sandbox.store import Store

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
Update = Callable[[Mapping[str, Any]], None]


@contextmanager
def progress_bar(*, enabled: bool, total: int | None, name: str) -> Iterator[Update | None]:
    """A live bar on a terminal (nothing otherwise); yields a callback taking a run summary."""
    if not enabled:
        yield None
        return
    progress = Progress(
        SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
        MofNCompleteColumn() if total else TextColumn("{task.completed} sent"),
        TextColumn("{task.fields[detail]}"), TimeElapsedColumn(),
        console=Console(), transient=True,
    )
    task = progress.add_task(name, total=total, detail="")

    def update(summary: Mapping[str, Any]) -> None:
        progress.update(task, completed=summary.get("sent", 0), detail=(
            f"delivered {summary.get('delivered', 0)}  retried {summary.get('retried', 0)}  "
            f"failed {summary.get('failed', 0)}"))

    with progress:
        yield update


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ms"


def summary_lines(
    scenario: Scenario, *, run_id: int, seed: int, state: str, elapsed: float,
    summary: Mapping[str, Any], target: str | None, log: str,
) -> list[str]:
    """The run's summary; ``summary`` is ``Stats.to_dict()`` (or a run view's summary), and
    ``log`` says where the run is logged."""
    sent, delivered = int(summary.get("sent", 0)), int(summary.get("delivered", 0))
    latency = summary.get("latency_ms") or {}
    errors = summary.get("errors") or {}
    rate = sent / elapsed if elapsed > 0 else 0.0
    where = f" -> {target}" if target else ""
    lines = [
        f"run {run_id}: {scenario.name} (seed {seed}){where}, {state} in {elapsed:.2f}s",
        f"  sent {sent}, delivered {delivered}, retried {summary.get('retried', 0)}, "
        f"failed {summary.get('failed', 0)} ({summary.get('attempts', 0)} attempts, "
        f"{rate:.0f} postbacks/s)",
        f"  latency p50 {_ms(latency.get('p50'))}, p95 {_ms(latency.get('p95'))}",
    ]
    if summary.get("chaos"):
        lines.append(f"  chaos: {summary['chaos']} deliveries with injected faults")
    if errors:
        shown = ", ".join(f"{kind} {count}" for kind, count in sorted(errors.items()))
        lines.append(f"  transport errors: {shown}")
    if sent and delivered == 0 and errors.get("connect"):
        lines.append("  nothing answered: start `postback-sandbox serve`, or point "
                     "--target-base at your endpoint")
    lines.append(f"  log: {log}")
    return lines


def origin(url: str | None) -> str | None:
    if url is None:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def refuse_empty_check(scenario: Scenario, *, check: bool, allow_empty: bool) -> None:
    """``--check`` on a scenario without ``expect:`` would pass by checking nothing: exit 2
    before anything is sent, unless the caller said that is fine."""
    if check and not scenario.expect and not allow_empty:
        click.echo(f"error: --check: scenario '{scenario.name}' has no expectations (expect:) "
                   "to check; add some, or pass --allow-empty-check to accept a run that "
                   "only checks its deliveries", err=True)
        sys.exit(EXIT_USAGE)


def verdict(
    scenario: Scenario, *, state: str, summary: Mapping[str, Any],
    results: Sequence[dict[str, Any]] | None, checked: str, check: bool, junit: Path | None,
) -> int:
    """Print the deliveries' verdict and the expectations' report; answer the exit code.
    ``checked`` names the store the expectations were checked in."""
    if state == "interrupted":
        click.echo("interrupted: the run is marked interrupted in the log", err=True)
        return EXIT_INTERRUPTED
    problem = undelivered(summary, allow_failed=scenario.delivery.allow_failed)
    if problem:
        click.echo(f"FAIL delivery: {problem}")
    if results is None:
        if scenario.expect:
            click.echo(f"  {len(scenario.expect)} expectation(s) not checked (use --check)")
        return EXIT_FAILED if problem else EXIT_OK
    if results:
        click.echo(f"expectations checked {checked}:")
        click.echo(report(results))
    if junit is not None:
        cases = [*results, {"name": "every postback delivered", "ok": False, "message": problem,
                            "waited": 0}] if problem else results
        junit.write_text(junit_xml(cases, suite=scenario.name), encoding="utf-8")
    failed = check and any(not result["ok"] for result in results)
    return EXIT_FAILED if problem or failed else EXIT_OK


def deliver_and_report(
    scenario: Scenario, options: RunOptions, *, db: str, check: bool, junit: Path | None,
) -> int:
    """Deliver from this process, logging in the database ``db``; print the summary (and the
    expectations' report when asked); answer the exit code (see the module's docstring)."""
    expectations = parse_expectations(scenario)
    store = Store(db)
    clock = SystemClock()
    try:
        prepared = ScenarioRun(store, scenario, options, clock=clock)
        items = prepared.planned()
        total = len(items) if isinstance(items, list) else None
        try:
            with progress_bar(enabled=sys.stdout.isatty(), total=total,
                              name=scenario.name) as update:
                on_progress = None if update is None else _stats_to(update)
                outcome = prepared.deliver(items, on_progress=on_progress)
        except KeyboardInterrupt:
            click.echo("interrupted: the run is marked interrupted in the log", err=True)
            return EXIT_INTERRUPTED
        summary = outcome.stats.to_dict()
        where = f"in {db}"
        for line in summary_lines(
                scenario, run_id=outcome.run_id, seed=outcome.seed, state=outcome.state,
                elapsed=outcome.elapsed, summary=summary, target=origin(options.target_base),
                log=f"run {outcome.run_id} {where} (/api/runs/{outcome.run_id} and "
                    f"/api/deliveries?run={outcome.run_id} on a sandbox serving it)"):
            click.echo(line)
        results = None
        if (check or junit) and outcome.state == "finished":
            results = check_expectations(
                store, expectations, run_id=outcome.run_id,
                captures_before=outcome.captures_before, clock=clock) if expectations else []
        return verdict(scenario, state=outcome.state, summary=summary, results=results,
                       checked=where, check=check, junit=junit)
    finally:
        store.close()


def _stats_to(update: Update) -> Callable[[Stats], None]:
    return lambda stats: update(stats.to_dict())
