"""``run --record`` and ``run --compare``: a scenario's postbacks kept in a golden file, and
the diff against it (``scenarios/golden.py`` compares; this renders, signs, prints, exits).

Both render and sign the run's postbacks as a run would send them, without sending.
Exit codes: 0 recorded, or the same as the golden file; 1 different; 2 usage (an unreadable
golden file names its line).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import click

from sandbox.clock import SystemClock
from sandbox.delivery.plan import plan, signing_profiles
from sandbox.query.junit import junit_xml
from sandbox.scenarios.golden import (
    DEFAULT_IGNORE,
    compare,
    golden_line,
    junit_cases,
    read_golden,
    report,
)
from sandbox.scenarios.model import Scenario
from sandbox.scenarios.render import Renderer, render_run
from sandbox.signing import sign
from sandbox.skan import skan_stream_from_db, with_skan

EXIT_SAME, EXIT_DIFFERENT = 0, 1


def signed_postbacks(scenario: Scenario, seed: int, db: str) -> Iterator[dict[str, Any]]:
    """The run's postbacks as a run signs them (SKAN ones carry their own signature)."""
    renderer = Renderer(scenario, seed)
    skan = skan_stream_from_db(db, scenario, seed)
    profiles = signing_profiles(scenario, os.environ)
    planned = [*plan(render_run(scenario, seed, renderer=renderer), profiles),
               *plan(with_skan((), renderer, skan), {})]
    now = SystemClock().now()
    for item in planned:
        signed = sign(item.profile, item.request, message_id=item.postback.postback_id, at=now)
        yield golden_line({
            **item.postback.to_dict(), "method": signed.method, "url": signed.url,
            "headers": dict(signed.headers),
            "body": signed.body.decode("utf-8", "replace") if signed.body else None})


def record(scenario: Scenario, seed: int, db: str, path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for line in signed_postbacks(scenario, seed, db):
            out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
    click.echo(f"recorded {count} postbacks of {scenario.name} (seed {seed}) -> {path}")
    return EXIT_SAME


def compare_with(scenario: Scenario, seed: int, db: str, path: Path, ignore: Sequence[str],
                 junit: Path | None) -> int:
    try:
        with path.open(encoding="utf-8") as lines:
            golden = read_golden(lines, str(path))
    except OSError as exc:
        click.echo(f"error: --compare {path}: {exc.strerror}", err=True)
        sys.exit(2)
    diffs = compare(golden, list(signed_postbacks(scenario, seed, db)),
                    ignore=[*DEFAULT_IGNORE, *ignore])
    click.echo(report(diffs))
    if junit is not None:
        junit.write_text(junit_xml(junit_cases(diffs), suite=f"{scenario.name} golden"),
                         encoding="utf-8")
    return EXIT_SAME if all(diff.same for diff in diffs) else EXIT_DIFFERENT
