"""Running assertions against the store: the indexed part in SQL, the rest in Python, waiting
for ``within`` and watching through ``during`` on an injectable clock.

Every face (``/api/assert``, ``postback-sandbox assert``, the pytest plugin, scenario
expectations) calls ``check``, so an assertion means the same thing everywhere.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from sandbox.capture.view import capture_view
from sandbox.clock import Clock
from sandbox.query.conditions import parse_conditions, parse_count
from sandbox.query.delivery_views import delivery_view
from sandbox.query.matchers import (
    NEAR_MISS_WINDOW,
    SCAN_SECONDS,
    Assertion,
    Outcome,
    ScanBudget,
    WaitJudge,
    in_scope,
    matches,
    scan,
    summarize,
)
from sandbox.query.sql_conditions import SqlWhere, below_id, translate_assertion
from sandbox.store import Store
from sandbox.store.deliveries import DeliveryFilter

POLL_SECONDS = 0.05  # how often a waiting assertion looks for new records (one indexed max())
SCAN_BATCH = 500  # captures read at a time when conditions are checked in Python
View = Mapping[str, Any]


class Source(Protocol):
    """Where an assertion's records come from (captures; deliveries register their own)."""

    def version(self) -> int:
        """Changes whenever a record that could matter arrives (a cheap look)."""
        ...

    def judge(self, assertion: Assertion, *, near_misses: bool, budget: ScanBudget) -> Outcome:
        """Count the matches; Python-side matching stops when ``budget`` runs out."""
        ...


class CaptureSource:
    def __init__(self, store: Store) -> None:
        self.store = store

    def version(self) -> int:
        return self.store.captures.last_id()

    def judge(self, assertion: Assertion, *, near_misses: bool, budget: ScanBudget) -> Outcome:
        sql = translate_assertion(assertion)
        captures = self.store.captures
        needs_views = bool(sql.residual) or assertion.unique is not None
        if needs_views:
            matched = list(scan(sql.residual, self._newest_first(sql), budget))
            count = len(matched)
        else:
            count = captures.count_where(sql.clause, sql.params)
            matched = [capture_view(r) for r in captures.select_where(
                sql.clause, sql.params, limit=20)]
        recent: list[View] = []
        if near_misses:
            scope = translate_assertion(_scope_only(assertion))
            rows = captures.select_where(scope.clause, scope.params, limit=NEAR_MISS_WINDOW)
            recent = [v for v in map(capture_view, rows) if in_scope(assertion, v)]
        return summarize(assertion, matched, budget.take(recent), matched_count=count,
                         incomplete=budget.note())

    def _newest_first(self, sql: SqlWhere) -> Iterator[View]:
        """The captures the clause selects, newest first, read in batches as they are used."""
        before: int | None = None
        while True:
            batch = below_id(sql, before)
            rows = self.store.captures.select_where(batch.clause, batch.params, limit=SCAN_BATCH)
            yield from map(capture_view, rows)
            if len(rows) < SCAN_BATCH:
                return
            before = rows[-1].id


def _scope_only(assertion: Assertion) -> Assertion:
    return replace(assertion, where=())


class DeliverySource:
    """The delivery log, matched in Python over delivery views (of one run, when given)."""

    def __init__(self, store: Store, *, run_id: int | None = None) -> None:
        self.store = store
        self.run_id = run_id

    def version(self) -> int:
        return self.store.deliveries.version()

    def judge(self, assertion: Assertion, *, near_misses: bool, budget: ScanBudget) -> Outcome:
        rows = self.store.deliveries.iterate(
            DeliveryFilter(run_id=self.run_id, since_id=assertion.since_id))
        recent: deque[View] = deque(maxlen=NEAR_MISS_WINDOW if near_misses else 0)
        matched = []
        for view in budget.take(map(delivery_view, rows)):
            if in_scope(assertion, view):
                recent.append(view)
                if matches(assertion.where, view):
                    matched.append(view)
        return summarize(assertion, matched, budget.take(recent), incomplete=budget.note())


SOURCES: dict[str, Callable[[Store], Source]] = {
    "captures": CaptureSource, "deliveries": DeliverySource,
}


@dataclass(frozen=True)
class Result:
    assertion: Assertion
    outcome: Outcome
    waited: float

    @property
    def ok(self) -> bool:
        return self.outcome.ok

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.outcome.to_dict(),
            "name": self.assertion.name,
            "assertion": self.assertion.to_dict(),
            "waited": round(self.waited, 3),
        }


def check(
    store: Store, assertion: Assertion, clock: Clock, *, source: Source | None = None,
    scan_seconds: float = SCAN_SECONDS,
) -> Result:
    """Judge one assertion, waiting up to ``within`` and then watching ``during`` seconds.
    ``source`` narrows where records come from (a run's deliveries); default: all of them.
    Each look may spend ``scan_seconds`` matching in Python; one that runs out ends the wait
    (a later look would not get further) and the result says it is incomplete."""
    source = source or SOURCES[assertion.on](store)
    judge = WaitJudge.for_assertion(assertion)
    started = clock.monotonic()
    seen = source.version()

    def look(*, near_misses: bool = False) -> Outcome:
        budget = ScanBudget(clock, scan_seconds)
        return source.judge(assertion, near_misses=near_misses, budget=budget)

    outcome = look()
    while not outcome.incomplete:
        elapsed = clock.monotonic() - started
        step = judge.observe(outcome.ok, elapsed)
        if step != "wait":
            break
        next_look = started + judge.deadline
        while clock.monotonic() < next_look:
            clock.sleep(min(POLL_SECONDS, max(0.0, next_look - clock.monotonic())))
            if source.version() != seen:
                break
        seen = source.version()
        outcome = look()
    if not outcome.ok and not outcome.incomplete:  # explain the failure with the nearest misses
        outcome = look(near_misses=True)
    return Result(assertion, outcome, clock.monotonic() - started)


def check_all(store: Store, assertions: Sequence[Assertion], clock: Clock) -> list[Result]:
    """Several assertions, all of which must hold; each gets its own wait."""
    return [check(store, assertion, clock) for assertion in assertions]


ASSERTION_PARAMS = ("channel", "count", "unique", "since", "since_id", "within", "during", "on",
                    "name")


def assertion_from_params(params: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """The URL form: ``field=value`` equalities, repeated ``where=<condition>``, and options.

    ``GET /api/assert?channel=net1&query.event=af_purchase&where=json.revenue>=0.99&count=1``
    """
    doc: dict[str, Any] = {}
    where: dict[str, Any] = {}
    for name, values in params.items():
        if name == "where":
            continue
        value = values[-1]
        if name in ASSERTION_PARAMS:
            doc[name] = parse_count(value) if name == "count" else _number_or_text(name, value)
        else:
            where[name] = value
    where.update(parse_conditions(params.get("where", [])))
    doc["where"] = where
    return doc


def _number_or_text(name: str, value: str) -> Any:
    if name in ("since_id", "within", "during"):
        try:
            return float(value) if name != "since_id" else int(value)
        except ValueError:
            return value  # parse_assertion names the field and what was expected
    return value
