"""``run --server URL``: the sandbox at URL delivers the scenario, logs the run in its own
database and checks the expectations there (``POST /api/runs``); this side watches the run
and prints the same summary and report as a local run."""

from __future__ import annotations

import datetime
import json
import os
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import click

from sandbox.cli._delivery_run import (
    EXIT_INTERRUPTED,
    origin,
    progress_bar,
    summary_lines,
    verdict,
)
from sandbox.delivery.expectations import parse_expectations
from sandbox.delivery.run import RunOptions
from sandbox.docfile import read_document
from sandbox.errors import ConfigError, SandboxError, ScenarioError
from sandbox.remote.client import SandboxClient
from sandbox.scenarios.model import Scenario

POLL_SECONDS = 0.2
RESULTS_GRACE_SECONDS = 30  # after the expectations' own within/during


def scenario_data(path: Path) -> Any:
    """The scenario file as plain JSON data (YAML dates become ISO text)."""
    data = read_document(path, error_cls=ScenarioError).data
    return json.loads(json.dumps(data, default=_plain))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON data")


def secret_names(data: Any) -> Iterator[str]:
    """Environment variables the scenario reads secrets from (``{env: NAME}``)."""
    if isinstance(data, Mapping):
        if isinstance(data.get("env"), str):
            yield data["env"]
        for value in data.values():
            yield from secret_names(value)
    elif isinstance(data, list):
        for value in data:
            yield from secret_names(value)


def deliver_on_server(
    scenario: Scenario, data: Any, options: RunOptions, *, server: str, token: str | None,
    check: bool, junit: Path | None,
) -> int:
    """Start the run on ``server``, watch it, report; the exit code (as a local run's)."""
    env = {name: os.environ[name] for name in set(secret_names(data)) if name in os.environ}
    body = {"scenario": data, "source": str(scenario.source or ""), "seed": options.seed,
            "target_base": options.target_base, "speed": options.speed,
            "concurrency": options.concurrency, "check": bool(check or junit), "env": env}
    started = time.monotonic()
    with SandboxClient(server, token=token) as client:
        try:
            run = client.start_run(body)
        except SandboxError as exc:
            if exc.status != 405:
                raise
            raise ConfigError(f"the sandbox at {client.url} cannot run scenarios (it predates "
                              "POST /api/runs): upgrade it, or run without --server") from None
        try:
            with progress_bar(enabled=sys.stdout.isatty(), total=None,
                              name=scenario.name) as update:
                while run["state"] == "running":
                    time.sleep(POLL_SECONDS)
                    run = client.run(run["id"])
                    if update is not None:
                        update(run["summary"])
        except KeyboardInterrupt:
            client.stop_run(run["id"])
            click.echo(f"interrupted: run {run['id']} is stopped on {client.url}", err=True)
            return EXIT_INTERRUPTED
        elapsed = time.monotonic() - started
        if (check or junit) and scenario.expect and run["state"] == "finished":
            run = _results(client, run, scenario)
    base = client.url
    for line in summary_lines(
            scenario, run_id=run["id"], seed=run["seed"], state=run["state"], elapsed=elapsed,
            summary=run["summary"], target=origin(options.target_base),
            log=f"{base}/api/runs/{run['id']} and {base}/api/deliveries?run={run['id']}"):
        click.echo(line)
    results = run["expectations"] if check or junit else None
    if results is None and (check or junit):
        results = []
    return verdict(scenario, state=run["state"], summary=run["summary"], results=results,
                   checked=f"on {base}", check=check, junit=junit)


def _results(client: SandboxClient, run: dict[str, Any], scenario: Scenario) -> dict[str, Any]:
    """The run once the server has recorded its expectations' results (they may wait)."""
    waits = sum(a.within + a.during for a in parse_expectations(scenario))
    deadline = time.monotonic() + waits + RESULTS_GRACE_SECONDS
    while run["expectations"] is None:
        if time.monotonic() > deadline:
            raise ConfigError(f"{client.url} did not record the expectations' results of run "
                              f"{run['id']} (see its log)")
        time.sleep(POLL_SECONDS)
        run = client.run(run["id"])
    return run
