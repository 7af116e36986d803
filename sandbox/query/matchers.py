"""The assertion language, evaluated: differences, outcomes, near misses, and waiting rules.

Pure: views in, data out. A view matches an assertion's ``where`` when ``differences`` is empty;
the differences of the nearest non-matching views are what makes a CI failure debuggable.

Matching in Python has a time budget (``ScanBudget``, ``SCAN_SECONDS`` per evaluation, measured
on the caller's clock): a scan that runs out stops where it is, and the outcome says so
(``incomplete``) instead of holding a worker for as long as the table is big.

Waiting is the caller's loop (it owns the clock and the long-poll); ``WaitJudge`` decides, from
successive outcomes, whether the assertion holds, fails, or needs another look:

- ``within``: look again (on a new capture, or at the deadline) until it holds; it fails when
  the ``within`` window closes without it holding.
- ``during``: once it holds, it must keep holding for ``during`` more seconds; any look that
  does not hold fails at once. Captures only accumulate, so a count that must stay at most N
  (``count: 0``, ``eq``, ``lte``) or a ``unique`` field can only break, never heal: the caller
  should look again whenever a capture arrives in scope, and once more at the end.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sandbox.clock import Clock
from sandbox.query.document import (
    MAX_WAIT_SECONDS,
    Assertion,
    Condition,
    Count,
    parse_assertion,
    parse_where,
)
from sandbox.query.operators import is_container, text_form

__all__ = [
    "MAX_WAIT_SECONDS",
    "NEAR_MISS_LIMIT",
    "NEAR_MISS_WINDOW",
    "SCAN_SECONDS",
    "Assertion",
    "Condition",
    "Count",
    "Difference",
    "NearMiss",
    "Outcome",
    "ScanBudget",
    "WaitJudge",
    "differences",
    "evaluate",
    "holds_now",
    "in_scope",
    "matches",
    "parse_assertion",
    "parse_where",
    "scan",
    "summarize",
]

View = Mapping[str, Any]
NEAR_MISS_LIMIT = 5
NEAR_MISS_WINDOW = 1000
MATCHED_IDS_LIMIT = 20
SCAN_SECONDS = 10.0  # how long one evaluation may spend matching records in Python


class ScanBudget:
    """The time one evaluation may spend matching records in Python, on an injectable clock."""

    def __init__(self, clock: Clock, seconds: float = SCAN_SECONDS) -> None:
        self.clock = clock
        self.seconds = seconds
        self.deadline = clock.monotonic() + seconds
        self.scanned = 0
        self.ran_out = False

    def spent(self) -> bool:
        """True once the time is up (and from then on)."""
        if not self.ran_out and self.clock.monotonic() >= self.deadline:
            self.ran_out = True
        return self.ran_out

    def take(self, views: Iterable[View]) -> Iterator[View]:
        """The views, one by one, until the time is up."""
        for view in views:
            if self.spent():
                return
            self.scanned += 1
            yield view

    def note(self) -> str | None:
        """What an answer says when the budget ran out, else None."""
        if not self.ran_out:
            return None
        return (f"stopped after {self.seconds:g} s, having checked {self.scanned} records; "
                "narrow the assertion (channel, since_id, an indexed field) to check them all")


def scan(where: Sequence[Condition], views: Iterable[View], budget: ScanBudget) -> Iterator[View]:
    """The views that match ``where``, until the budget runs out."""
    return (view for view in budget.take(views) if matches(where, view))


@dataclass(frozen=True)
class Difference:
    """A condition a view fails: what was expected, what it had (``missing``: nothing at all)."""

    field: str
    expected: Any
    actual: Any
    missing: bool = False

    def to_dict(self) -> dict[str, Any]:
        answer = {"field": self.field, "expected": self.expected, "actual": self.actual}
        if self.missing:
            answer["missing"] = True
        return answer


def differences(where: Sequence[Condition], view: View) -> list[Difference]:
    """Every condition of ``where`` that ``view`` fails; empty means the view matches."""
    found = []
    for condition in where:
        values = condition.field.values(view)
        if not condition.holds(values):
            actual = values[0] if len(values) == 1 else (values or None)
            found.append(
                Difference(condition.field.name, condition.written, actual, missing=not values)
            )
    return found


def matches(where: Sequence[Condition], view: View) -> bool:
    return all(condition.holds(condition.field.values(view)) for condition in where)


def in_scope(assertion: Assertion, view: View) -> bool:
    """channel, since_id (ids above it) and since (received at or after it)."""
    if assertion.channel is not None and view.get("channel") != assertion.channel:
        return False
    if assertion.since_id is not None and view["id"] <= assertion.since_id:
        return False
    since = assertion.since_text
    return since is None or view.get("received_at", "") >= since


@dataclass(frozen=True)
class NearMiss:
    id: int
    received_at: str | None
    differences: tuple[Difference, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "received_at": self.received_at,
            "differences": [difference.to_dict() for difference in self.differences],
        }


@dataclass(frozen=True)
class Outcome:
    ok: bool
    matched: int
    count: Count
    unique: str | None = None
    duplicates: Mapping[str, list[int]] = field(default_factory=dict)
    matched_ids: tuple[int, ...] = ()
    near_misses: tuple[NearMiss, ...] = ()
    incomplete: str | None = None  # why not every record in scope was checked

    @property
    def message(self) -> str:
        head = f"{self.matched} matched, expected {self.count.describe()}"
        if self.duplicates:
            shown = ", ".join(
                f"{value!r} (ids {', '.join(map(str, ids))})"
                for value, ids in list(self.duplicates.items())[:3]
            )
            head += f"; {self.unique} repeats: {shown}"
        if self.incomplete:
            head += f"; incomplete: {self.incomplete}"
        return ("holds: " if self.ok else "fails: ") + head

    def to_dict(self) -> dict[str, Any]:
        """The answer body (faces add how long they waited)."""
        return {
            "ok": self.ok,
            "matched": self.matched,
            "expected": {
                "count": self.count.to_dict(),
                "text": self.count.describe(),
                "unique": self.unique,
            },
            "duplicates": {value: list(ids) for value, ids in self.duplicates.items()},
            "matched_ids": list(self.matched_ids),
            "near_misses": [miss.to_dict() for miss in self.near_misses],
            "incomplete": self.incomplete,
            "message": self.message,
        }


def holds_now(outcome: Outcome) -> bool:
    return outcome.ok


def evaluate(
    assertion: Assertion, views: Iterable[View], *, near_miss_window: int = NEAR_MISS_WINDOW
) -> Outcome:
    """Judge the assertion over ``views`` (those out of scope are skipped)."""
    scoped = sorted((v for v in views if in_scope(assertion, v)), key=lambda v: -v["id"])
    matched = [view for view in scoped if matches(assertion.where, view)]
    return summarize(assertion, matched, scoped[:near_miss_window])


def summarize(
    assertion: Assertion,
    matched_views: Iterable[View],
    recent_views: Iterable[View],
    *,
    matched_count: int | None = None,
    incomplete: str | None = None,
) -> Outcome:
    """Build the outcome from the views that match (all of them, for ``unique``) and the newest
    views in scope (near misses are looked for among these). A store that counted the matches
    in SQL passes ``matched_count`` and may pass only the newest matched views. An
    ``incomplete`` scan (the note says why) never holds: what was not checked could break it."""
    matched = sorted(matched_views, key=lambda v: -v["id"])
    total = len(matched) if matched_count is None else matched_count
    duplicates = _duplicates(assertion, matched)
    return Outcome(
        ok=assertion.count.holds(total) and not duplicates and incomplete is None,
        matched=total,
        count=assertion.count,
        unique=assertion.unique.name if assertion.unique else None,
        duplicates=duplicates,
        matched_ids=tuple(view["id"] for view in matched[:MATCHED_IDS_LIMIT]),
        near_misses=_near_misses(assertion.where, recent_views),
        incomplete=incomplete,
    )


def _duplicates(assertion: Assertion, matched: Sequence[View]) -> dict[str, list[int]]:
    """Values of the ``unique`` field seen on more than one match (compared as text)."""
    if assertion.unique is None:
        return {}
    seen: dict[str, list[int]] = {}
    for view in matched:
        keys = {_unique_key(value) for value in assertion.unique.values(view)}
        for key in keys:
            seen.setdefault(key, []).append(view["id"])
    return {key: sorted(ids) for key, ids in seen.items() if len(ids) > 1}


def _unique_key(value: Any) -> str:
    if is_container(value):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return text_form(value) or ""


def _near_misses(where: Sequence[Condition], recent: Iterable[View]) -> tuple[NearMiss, ...]:
    """Up to NEAR_MISS_LIMIT non-matching views: fewest differing fields, then newest."""
    misses = []
    for view in recent:
        found = differences(where, view)
        if found:
            misses.append(NearMiss(view["id"], view.get("received_at"), tuple(found)))
    misses.sort(key=lambda miss: (len(miss.differences), -miss.id))
    return tuple(misses[:NEAR_MISS_LIMIT])


Step = Literal["holds", "fails", "wait"]


@dataclass
class WaitJudge:
    """Decides, look after look, whether a waiting assertion holds. Times are seconds since the
    first look (the caller measures them with its clock)."""

    within: float
    during: float
    held_since: float | None = None

    @classmethod
    def for_assertion(cls, assertion: Assertion) -> WaitJudge:
        return cls(within=assertion.within, during=assertion.during)

    def observe(self, ok: bool, elapsed: float) -> Step:
        if self.held_since is None:
            if not ok:
                return "fails" if elapsed >= self.within else "wait"
            self.held_since = elapsed
        if not ok:
            return "fails"
        return "holds" if elapsed >= self.held_since + self.during else "wait"

    @property
    def deadline(self) -> float:
        """When to look again at the latest, in seconds since the first look."""
        if self.held_since is None:
            return self.within
        return self.held_since + self.during
