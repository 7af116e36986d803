"""The assertion document: validated into an ``Assertion`` or refused with a 400 naming the part.

See docs/assertions.md for the language.
sandbox/query/matchers.py evaluates what this module builds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sandbox.errors import SandboxError
from sandbox.query.fields import (
    CAPTURE_FIELDS,
    FIELD_SETS,
    Field,
    FieldSet,
    field_set_for,
    parse_field,
)
from sandbox.query.operators import (
    MAX_IN_VALUES,
    NUMERIC_OPERATORS,
    OPERATORS,
    compare,
    contains,
    regex_matches,
    values_equal,
)
from sandbox.query.user_regex import UserRegex, compile_user_regex
from sandbox.store.captures import SQLITE_MAX_INT

__all__ = [
    "ASSERTION_KEYS",
    "Assertion",
    "Condition",
    "Count",
    "MAX_WAIT_SECONDS",
    "parse_assertion",
    "parse_count_doc",
    "parse_where",
]

MAX_WAIT_SECONDS = 300.0
MAX_CONDITIONS = 64
MAX_NAME_LENGTH = 200
MAX_VALUE_DEPTH = 32
ASSERTION_KEYS = (
    "name",
    "on",
    "channel",
    "where",
    "count",
    "unique",
    "since",
    "since_id",
    "within",
    "during",
)
COUNT_OPERATORS = ("eq", "gte", "lte", "between")


def bad(part: str, message: str) -> SandboxError:
    return SandboxError(f"{part}: {message}", code="bad_assertion", status=400, field=part)


@dataclass(frozen=True)
class Condition:
    """One ``where`` entry: a field and its operators, all of which must hold.

    ``exists`` and ``ne`` judge the field as a whole (``ne``: no value equals it, so an absent
    field satisfies it); the other operators must all hold for one and the same value.
    """

    field: Field
    ops: Mapping[str, Any]
    written: Any
    pattern: UserRegex | None = None

    def holds(self, values: Sequence[Any]) -> bool:
        ops = self.ops
        if "exists" in ops and ops["exists"] != bool(values):
            return False
        if "ne" in ops and any(values_equal(ops["ne"], value) for value in values):
            return False
        value_ops = [(op, operand) for op, operand in ops.items() if op not in ("exists", "ne")]
        if not value_ops:
            return True
        return any(all(self._holds_for(op, x, value) for op, x in value_ops) for value in values)

    def _holds_for(self, op: str, operand: Any, value: Any) -> bool:
        if op == "eq":
            return values_equal(operand, value)
        if op == "in":
            return any(values_equal(item, value) for item in operand)
        if op == "contains":
            return contains(operand, value)
        if op == "regex":
            return self.pattern is not None and regex_matches(self.pattern, value)
        return compare(op, float(operand), value)


@dataclass(frozen=True)
class Count:
    """How many matches are expected. ``high`` is None for "at least"."""

    op: str
    low: int
    high: int | None

    def holds(self, matched: int) -> bool:
        return matched >= self.low and (self.high is None or matched <= self.high)

    def to_dict(self) -> dict[str, Any]:
        if self.op == "between":
            return {"between": [self.low, self.high]}
        return {self.op: self.low if self.op != "lte" else self.high}

    def describe(self) -> str:
        if self.op == "eq":
            return "none" if self.low == 0 else f"exactly {self.low}"
        if self.op == "gte":
            return f"at least {self.low}"
        if self.op == "lte":
            return f"at most {self.high}"
        return f"between {self.low} and {self.high}"


@dataclass(frozen=True)
class Assertion:
    on: str
    channel: str | None
    where: tuple[Condition, ...]
    count: Count
    unique: Field | None = None
    since: datetime | None = None
    since_id: int | None = None
    within: float = 0.0
    during: float = 0.0
    name: str | None = None

    @property
    def since_text(self) -> str | None:
        """``since`` spelled like the stored received_at, so the two compare as text."""
        if self.since is None:
            return None
        return self.since.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "on": self.on,
            "channel": self.channel,
            "where": {c.field.name: c.written for c in self.where},
            "count": self.count.to_dict(),
            "unique": self.unique.name if self.unique else None,
            "since": self.since_text,
            "since_id": self.since_id,
            "within": self.within,
            "during": self.during,
        }


# --- parsing -----------------------------------------------------------------------------------


def parse_assertion(
    doc: object, *, max_within: float = MAX_WAIT_SECONDS, max_during: float = MAX_WAIT_SECONDS
) -> Assertion:
    """Validate one assertion document; every mistake is SandboxError(code="bad_assertion")."""
    if not isinstance(doc, Mapping):
        raise bad("assertion", f"expected an object with keys {', '.join(ASSERTION_KEYS)}")
    unknown = [key for key in doc if key not in ASSERTION_KEYS]
    if unknown:
        part = str(unknown[0]) or "assertion"
        raise bad(part, f"unknown key {unknown[0]!r} (expected {', '.join(ASSERTION_KEYS)})")
    on = doc.get("on", "captures")
    fields = field_set_for(on) if isinstance(on, str) else None
    if fields is None:
        kinds = " or ".join(repr(kind) for kind in FIELD_SETS)
        raise bad("on", f"expected {kinds}, got {on!r}")
    unique = doc.get("unique")
    return Assertion(
        on=on,
        channel=_optional_text(doc, "channel"),
        where=parse_where(doc.get("where") or {}, fields=fields),
        count=parse_count_doc(doc.get("count", {"gte": 1})),
        unique=None if unique is None else _field(unique, "unique", fields),
        since=_since(doc.get("since")),
        since_id=_since_id(doc.get("since_id")),
        within=_seconds(doc, "within", max_within),
        during=_seconds(doc, "during", max_during),
        name=_optional_text(doc, "name"),
    )


def _optional_text(doc: Mapping[Any, Any], key: str) -> str | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_NAME_LENGTH:
        raise bad(key, f"expected non-empty text of at most {MAX_NAME_LENGTH} characters")
    return value


def _field(name: object, part: str, fields: FieldSet) -> Field:
    try:
        return parse_field(name, fields)
    except SandboxError as error:
        raise bad(part, error.message) from None


def parse_where(
    doc: object, *, fields: FieldSet = CAPTURE_FIELDS, part: str = "where"
) -> tuple[Condition, ...]:
    """``where``: a mapping of field name to a plain value (equality) or an operator object."""
    if not isinstance(doc, Mapping):
        raise bad(part, "expected an object mapping field names to values or operators")
    if len(doc) > MAX_CONDITIONS:
        raise bad(part, f"at most {MAX_CONDITIONS} conditions")
    conditions = []
    for name, written in doc.items():
        label = f"{part}.{name}"
        field = _field(name, label, fields)
        ops = _operators(written, label)
        pattern = compile_user_regex(ops["regex"], field=label) if "regex" in ops else None
        conditions.append(Condition(field, ops, written, pattern))
    return tuple(conditions)


def _operators(written: object, label: str) -> dict[str, Any]:
    if isinstance(written, list):
        raise bad(
            label,
            'a plain list is ambiguous: use {"in": [...]} for one of several '
            'values, or {"eq": [...]} to compare with a JSON list',
        )
    if not isinstance(written, Mapping):
        return {"eq": _json_value(written, label)}
    if not written:
        raise bad(label, f"an empty operator object (expected one of {', '.join(OPERATORS)})")
    ops = {}
    for op, operand in written.items():
        if op not in OPERATORS:
            raise bad(label, f"unknown operator {op!r} (expected one of {', '.join(OPERATORS)})")
        ops[op] = _operand(op, operand, label)
    return ops


def _operand(op: str, operand: object, label: str) -> Any:
    if op in NUMERIC_OPERATORS:
        return _number(operand, label, op)
    if op == "exists":
        if not isinstance(operand, bool):
            raise bad(label, f"'exists' needs true or false, got {operand!r}")
        return operand
    if op == "regex":
        return operand  # parse_where compiles it
    if op == "in":
        if not isinstance(operand, list) or not 1 <= len(operand) <= MAX_IN_VALUES:
            raise bad(label, f"'in' needs a list of 1 to {MAX_IN_VALUES} values")
        return [_json_value(item, label) for item in operand]
    return _json_value(operand, label)


def _number(value: object, label: str, op: str) -> int | float:
    if isinstance(value, int | float) and not isinstance(value, bool) and _in_range(value):
        return value
    raise bad(label, f"{op!r} needs a finite number, got {value!r}")


def _in_range(number: int | float) -> bool:
    try:
        return math.isfinite(float(number))
    except OverflowError:
        return False


def _json_value(value: object, label: str, depth: int = 0) -> Any:
    """Check that a value is plain JSON (YAML may hand us dates or sets)."""
    if depth > MAX_VALUE_DEPTH:
        raise bad(label, f"a value nested deeper than {MAX_VALUE_DEPTH} levels")
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int | float) and _in_range(value):
        return value
    if isinstance(value, list):
        return [_json_value(item, label, depth + 1) for item in value]
    if isinstance(value, Mapping) and all(isinstance(key, str) for key in value):
        return {key: _json_value(item, label, depth + 1) for key, item in value.items()}
    raise bad(label, f"expected a JSON value (text, number, true/false, null), got {value!r}")


def parse_count_doc(value: object, part: str = "count") -> Count:
    """A whole number (exactly), or {"eq"|"gte"|"lte": n} or {"between": [low, high]}."""
    if _whole(value):
        return Count("eq", value, value)  # type: ignore[arg-type]
    if not isinstance(value, Mapping) or len(value) != 1:
        raise bad(
            part,
            'expected a whole number or one of {"eq": n}, {"gte": n}, {"lte": n}, '
            '{"between": [low, high]}',
        )
    ((op, operand),) = value.items()
    if op == "between":
        if (
            isinstance(operand, list | tuple)
            and len(operand) == 2
            and all(_whole(n) for n in operand)
            and operand[0] <= operand[1]
        ):
            return Count("between", operand[0], operand[1])
        raise bad(part, "'between' needs [low, high]: whole numbers >= 0 with low <= high")
    if op not in COUNT_OPERATORS or not _whole(operand):
        raise bad(
            part,
            f"expected one of {', '.join(COUNT_OPERATORS)} with a whole number "
            f">= 0, got {dict(value)!r}",
        )
    if op == "gte":
        return Count("gte", operand, None)
    if op == "lte":
        return Count("lte", 0, operand)
    return Count("eq", operand, operand)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _since(value: object) -> datetime | None:
    if value is None:
        return None
    when = value
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            when = None
    if not isinstance(when, datetime):
        raise bad("since", f"expected an ISO time like 2026-11-28T10:00:00Z, got {value!r}")
    try:
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    except (OverflowError, ValueError):
        raise bad("since", f"time out of range: {value!r}") from None


def _since_id(value: object) -> int | None:
    if value is None or (_whole(value) and value <= SQLITE_MAX_INT):  # type: ignore[operator]
        return value  # type: ignore[return-value]
    raise bad("since_id", f"expected a capture id (a whole number 0 to {SQLITE_MAX_INT}), "
              f"got {value!r}")


def _seconds(doc: Mapping[Any, Any], key: str, limit: float) -> float:
    value = doc.get(key, 0)
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= limit:
        return float(value)
    raise bad(key, f"expected seconds between 0 and {limit:g}, got {value!r}")
