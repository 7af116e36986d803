"""A scenario run the server delivers for a client (``POST /api/runs``, what ``run --server``
sends): the scenario and options come in as JSON, the run is logged in the server's own
database and delivered on a thread of its own, and the client watches ``/api/runs/<id>``.

The live loop already delivers on background threads the same way (sandbox/live/postbacks.py):
one engine, one delivery log, whichever face started the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from sandbox.clock import Clock, iso_utc
from sandbox.delivery.expectations import check_expectations, parse_expectations
from sandbox.delivery.run import RunOptions, ScenarioRun
from sandbox.delivery.worker import worker
from sandbox.errors import NotFound, SandboxError
from sandbox.query.matchers import Assertion
from sandbox.scenarios.load import scenario_from_data
from sandbox.scenarios.model import Scenario
from sandbox.store import Store

log = logging.getLogger("sandbox.delivery")

_OPTIONAL_NUMBER = {"type": ["number", "null"]}
RUN_REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["scenario"],
    "properties": {
        "scenario": {"type": "object"},
        "source": {"type": "string"},
        "seed": {"type": ["integer", "null"], "minimum": 0},
        "target_base": {"type": ["string", "null"]},
        "speed": _OPTIONAL_NUMBER,
        "concurrency": {"type": ["integer", "null"], "minimum": 1, "maximum": 1024},
        "check": {"type": "boolean"},
        "env": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


@dataclass(frozen=True)
class RunRequest:
    scenario: Scenario
    options: RunOptions
    env: Mapping[str, str]
    check: bool


def parse_run_request(body: Any) -> RunRequest:
    """A ``POST /api/runs`` body; SandboxError (or ScenarioError) naming what is wrong."""
    error = next(iter(Draft202012Validator(RUN_REQUEST_SCHEMA).iter_errors(body)), None)
    if error is not None:
        field = ".".join(str(part) for part in error.absolute_path) or None
        raise SandboxError(f"{field or 'body'}: {error.message}", code="bad_run_request",
                           field=field)
    scenario = scenario_from_data(body["scenario"], source=body.get("source") or "<scenario>")
    options = RunOptions(seed=body.get("seed"), target_base=body.get("target_base"),
                         speed=body.get("speed"), concurrency=body.get("concurrency"))
    return RunRequest(scenario, options, dict(body.get("env") or {}),
                      bool(body.get("check", False)))


def start_run(store: Store, request: RunRequest, *, clock: Clock) -> int:
    """Check everything, open the run row and deliver on the process's worker; the run id."""
    expectations = parse_expectations(request.scenario) if request.check else []
    prepared = ScenarioRun(store, request.scenario, request.options, clock=clock,
                           env=request.env)
    run_id = prepared.start()
    worker().call(_deliver, prepared, expectations, clock)
    return run_id


def stop_run(store: Store, run_id: int, *, clock: Clock) -> bool:
    """Ask a running run to stop (its runner notices within ``STOP_POLL_SECONDS``); False when
    it was not running."""
    if store.runs.get(run_id) is None:
        raise NotFound(f"no run with id {run_id}", field="run_id")
    return store.runs.stop(run_id, finished_at=iso_utc(clock.now()))


def _deliver(prepared: ScenarioRun, expectations: list[Assertion], clock: Clock) -> None:
    run_id = prepared.start()
    try:
        outcome = prepared.deliver(stop=_stop_requested(prepared.store, run_id))
        if expectations and outcome.state == "finished":
            check_expectations(prepared.store, expectations, run_id=run_id,
                               captures_before=outcome.captures_before, clock=clock)
    except Exception:  # in the background: nobody else would see it
        log.exception("scenario run %s failed", run_id)


def _stop_requested(store: Store, run_id: int) -> Callable[[], bool]:
    def stop() -> bool:
        run = store.runs.get(run_id)
        return run is None or run.state != "running"

    return stop
