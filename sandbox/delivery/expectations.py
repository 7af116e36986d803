"""A scenario's ``expect:`` entries: parsed before the run (a bad one stops it before anything
is sent) and checked after it, over the captures and over the run's own deliveries.

Capture expectations without ``since``/``since_id`` only see captures newer than the run's
start, so running a scenario twice against one database judges each run on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sandbox.clock import Clock
from sandbox.errors import SandboxError, ScenarioError
from sandbox.query.assertions import DeliverySource, check
from sandbox.query.matchers import Assertion, parse_assertion
from sandbox.scenarios.model import Scenario
from sandbox.store import Store


def parse_expectations(scenario: Scenario) -> list[Assertion]:
    problems, parsed = [], []
    for index, doc in enumerate(scenario.expect):
        try:
            parsed.append(parse_assertion(doc))
        except SandboxError as exc:
            problems.append(f"{scenario.source or '<scenario>'}: expect[{index}]: {exc.message}")
    if problems:
        raise ScenarioError(problems)
    return parsed


def scoped(assertion: Assertion, *, captures_before: int) -> Assertion:
    if assertion.on != "captures" or assertion.since or assertion.since_id is not None:
        return assertion
    return replace(assertion, since_id=captures_before)


def check_expectations(
    store: Store, assertions: Sequence[Assertion], *, run_id: int, captures_before: int,
    clock: Clock,
) -> list[dict[str, Any]]:
    """Result bodies (as /api/assert answers them), one per expectation, in order."""
    results = []
    for assertion in assertions:
        source = DeliverySource(store, run_id=run_id) if assertion.on == "deliveries" else None
        result = check(store, scoped(assertion, captures_before=captures_before), clock,
                       source=source)
        results.append(result.to_dict())
    store.runs.set_expectations(run_id, results)
    return results
