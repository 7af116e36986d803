"""Delivering a scenario from the command line (``run`` and ``demo``): a progress bar on a
terminal, a summary at the end, the expectations' report, and the exit code."""

from __future__ import annotations

import sys
from collections.abc import Iterator
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
from sandbox.delivery.run import RunOptions, RunOutcome, ScenarioRun
from sandbox.junit import junit_xml
from sandbox.report import report
from sandbox.scenario_model import Scenario
from sandbox.store import Store


@contextmanager
def progress_bar(*, enabled: bool, total: int | None, name: str) -> Iterator[Any]:
    """A live bar on a terminal (nothing otherwise); yields the engine's progress callback."""
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

    def update(stats: Stats) -> None:
        progress.update(task, completed=stats.sent, detail=(
            f"delivered {stats.delivered}  retried {stats.retried}  failed {stats.failed}"))

    with progress:
        yield update


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ms"


def summary_lines(scenario: Scenario, outcome: RunOutcome, target: str | None) -> list[str]:
    stats = outcome.stats
    latency = stats.to_dict()["latency_ms"]
    rate = stats.sent / outcome.elapsed if outcome.elapsed > 0 else 0.0
    where = f" -> {target}" if target else ""
    lines = [
        f"run {outcome.run_id}: {scenario.name} (seed {outcome.seed}){where}, "
        f"{outcome.state} in {outcome.elapsed:.2f}s",
        f"  sent {stats.sent}, delivered {stats.delivered}, retried {stats.retried}, "
        f"failed {stats.failed} ({stats.attempts} attempts, {rate:.0f} postbacks/s)",
        f"  latency p50 {_ms(latency['p50'])}, p95 {_ms(latency['p95'])}",
    ]
    if stats.chaos:
        lines.append(f"  chaos: {stats.chaos} deliveries with injected faults")
    if stats.errors:
        shown = ", ".join(f"{kind} {count}" for kind, count in sorted(stats.errors.items()))
        lines.append(f"  transport errors: {shown}")
    if stats.sent and stats.delivered == 0 and stats.errors.get("connect"):
        lines.append("  nothing answered: start `postback-sandbox serve`, or point "
                     "--target-base at your endpoint")
    lines.append(f"  log: /api/runs/{outcome.run_id} and /api/deliveries?run={outcome.run_id}")
    return lines


def _origin(url: str | None) -> str | None:
    if url is None:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def deliver_and_report(
    scenario: Scenario, options: RunOptions, *, db: str, check: bool, junit: Path | None,
) -> int:
    """Deliver, print the summary (and the expectations' report when asked); the exit code:
    1 when ``check`` and an expectation fails, 130 when interrupted, else 0."""
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
                outcome = prepared.deliver(items, on_progress=update)
        except KeyboardInterrupt:
            click.echo("interrupted: the run is marked interrupted in the log", err=True)
            return 130
        for line in summary_lines(scenario, outcome, _origin(options.target_base)):
            click.echo(line)
        if not (check or junit):
            if expectations:
                click.echo(f"  {len(expectations)} expectation(s) not checked (use --check)")
            return 0
        results = check_expectations(store, expectations, run_id=outcome.run_id,
                                     captures_before=outcome.captures_before, clock=clock)
        if results:
            click.echo(report(results))
        if junit is not None:
            junit.write_text(junit_xml(results, suite=scenario.name), encoding="utf-8")
        failed = any(not result["ok"] for result in results)
        return 1 if check and failed else 0
    finally:
        store.close()
