"""Translate an assertion's scope and ``where`` into a WHERE clause over the ``captures`` table.

Pure: builds SQL text and parameters; the store executes them. Only fixed column names from
``COLUMNS`` and fixed SQL fragments are written into the text; every value, key and JSON path
is a bound parameter. What cannot be pushed down (regex, body, objects/lists as operands, JSON
keys outside printable ASCII or holding a quote or backslash) comes back as ``residual``, to be
checked with the pure matcher on the rows the clause selects.

The clause calls ``sandbox_number(x)``, which the store registers on every connection: the
matcher's own number rule (``sandbox/store/numbers.py``), so numeric strings compare exactly
as in Python.

One text for both databases: truth is written ``(1 = 1)``/``(1 = 0)`` (PostgreSQL wants a
boolean where SQLite takes 0 and 1), numbers are cast to ``DOUBLE PRECISION`` (SQLite reads
that name as REAL), and SQLite's ``json_each``, ``json_extract``, ``json_type`` and ``instr``
exist on PostgreSQL as functions of the same names and answers (``store/pg_schema.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sandbox.query.document import Assertion, Condition
from sandbox.query.fields import CAPTURE_FIELDS, EXTRACTED_KEYS, JsonStep, ascii_lower
from sandbox.query.operators import is_container, is_number, text_form, to_number

__all__ = [
    "COLUMNS",
    "SqlWhere",
    "below_id",
    "translate_assertion",
    "translate_where",
]

COLUMNS = {name: name for name in ("method", "path", "channel", "verdict", *EXTRACTED_KEYS)}
KEYED_COLUMNS = {"query": "query_json", "form": "form_json"}


@dataclass(frozen=True)
class SqlWhere:
    clause: str
    params: tuple[Any, ...]
    residual: tuple[Condition, ...]


@dataclass(frozen=True)
class Sql:
    text: str
    params: tuple[Any, ...] = ()


@dataclass(frozen=True)
class _Param:
    value: Any


def _cat(*pieces: str | Sql | _Param) -> Sql:
    """Concatenate fixed SQL text, fragments and bound parameters, in order."""
    text: list[str] = []
    params: list[Any] = []
    for piece in pieces:
        if isinstance(piece, str):
            text.append(piece)
        elif isinstance(piece, _Param):
            text.append("?")
            params.append(piece.value)
        else:
            text.append(piece.text)
            params.extend(piece.params)
    return Sql("".join(text), tuple(params))


def _join(glue: str, parts: Sequence[Sql]) -> Sql:
    pieces: list[str | Sql] = []
    for index, part in enumerate(parts):
        pieces.extend([glue, part] if index else [part])
    return _cat("(", *pieces, ")")


TRUE = "(1 = 1)"
FALSE = Sql("(1 = 0)")


def translate_assertion(assertion: Assertion) -> SqlWhere:
    """Scope (channel, since_id, since) and ``where`` of a captures assertion."""
    if assertion.on != "captures":
        raise ValueError(f"only captures assertions translate to SQL, not {assertion.on}")
    scope = []
    if assertion.channel is not None:
        scope.append(_cat("channel = ", _Param(assertion.channel)))
    if assertion.since_id is not None:
        scope.append(_cat("id > ", _Param(assertion.since_id)))
    if assertion.since_text is not None:
        scope.append(_cat("received_at >= ", _Param(assertion.since_text)))
    where = translate_where(assertion.where)
    parts = [*scope, Sql(where.clause, where.params)]
    clause = " AND ".join(part.text for part in parts if part.text != TRUE) or TRUE
    params = tuple(param for part in parts for param in part.params)
    return SqlWhere(clause, params, where.residual)


def below_id(where: SqlWhere, before_id: int | None) -> SqlWhere:
    """The same selection, cut to ids below ``before_id`` (to read it newest first in batches)."""
    if before_id is None:
        return where
    return SqlWhere(f"({where.clause}) AND id < ?", (*where.params, before_id), where.residual)


def translate_where(where: Sequence[Condition]) -> SqlWhere:
    pushed: list[Sql] = []
    residual: list[Condition] = []
    for condition in where:
        sql = _condition(condition)
        if sql is None:
            residual.append(condition)
        else:
            pushed.append(sql)
    clause = " AND ".join(part.text for part in pushed) or TRUE
    return SqlWhere(clause, tuple(p for part in pushed for p in part.params), tuple(residual))


def _condition(condition: Condition) -> Sql | None:
    field = condition.field
    if field.field_set is not CAPTURE_FIELDS:
        return None
    if field.kind == "simple":
        column = COLUMNS.get(field.key)
        return None if column is None else _single(_Text(column), condition)
    if field.kind == "json":
        path = json_path(field.path)
        return None if path is None else _single(_json_slot(path), condition)
    if field.kind in KEYED_COLUMNS:
        source = _cat(
            f"FROM json_each({KEYED_COLUMNS[field.kind]}) AS k, json_each(k.value) "
            "AS v WHERE k.key = ",
            _Param(field.key),
        )
        return _repeated(source, _Text("v.value"), condition)
    if field.kind == "header":
        source = _cat(
            "FROM json_each(headers_json) AS h WHERE lower(json_extract(h.value, '$[0]')) = ",
            _Param(ascii_lower(field.key)),
        )
        return _repeated(source, _Text("json_extract(h.value, '$[1]')"), condition)
    return None


def json_path(steps: Sequence[JsonStep]) -> str | None:
    """SQLite JSON path for the steps, or None when a key cannot be addressed reliably
    (SQLite compares path labels with the raw, still-escaped key text of the document)."""
    text = "$"
    for step in steps:
        if isinstance(step, int):
            text += f"[{step}]"
        elif all(" " <= char <= "~" and char not in '"\\' for char in step):
            text += f'."{step}"'
        else:
            return None
    return text


@dataclass(frozen=True)
class _Slot:
    """Where one JSON-typed value sits: its json type and its SQL value."""

    type: Sql
    value: Sql
    may_nest: bool = False


@dataclass(frozen=True)
class _Text:
    """A fixed SQL expression whose value is a string, or NULL when absent: a TEXT column, or
    one query, form or header value."""

    name: str


def _json_slot(path: str) -> _Slot:
    return _Slot(
        _cat("json_type(json_body, ", _Param(path), ")"),
        _cat("json_extract(json_body, ", _Param(path), ")"),
        may_nest=True,
    )


def _single(slot: _Slot | _Text, condition: Condition) -> Sql | None:
    """A field with at most one value: every operator applies to it."""
    parts = []
    for op, operand in condition.ops.items():
        if op == "exists":
            parts.append(_present(slot) if operand else _cat("NOT ", _present(slot)))
        elif op == "ne":
            equal = _equal(slot, operand)
            if equal is None:
                return None
            parts.append(_not(equal))
        else:
            sql = _value_op(slot, op, operand)
            if sql is None:
                return None
            parts.append(sql)
    return _join(" AND ", parts)


def _repeated(source: Sql, slot: _Text, condition: Condition) -> Sql | None:
    """A field with any number of values: ``exists`` and ``ne`` judge them all, the other
    operators must hold together for one value."""
    parts, value_ops = [], []
    for op, operand in condition.ops.items():
        if op == "exists":
            parts.append(
                _cat("EXISTS (SELECT 1 " if operand else "NOT EXISTS (SELECT 1 ", source, ")")
            )
            continue
        sql = _equal(slot, operand) if op == "ne" else _value_op(slot, op, operand)
        if sql is None:
            return None
        if op == "ne":
            parts.append(_cat("NOT EXISTS (SELECT 1 ", source, " AND ", sql, ")"))
        else:
            value_ops.append(sql)
    if value_ops:
        parts.append(_cat("EXISTS (SELECT 1 ", source, " AND ", _join(" AND ", value_ops), ")"))
    return _join(" AND ", parts)


def _not(sql: Sql) -> Sql:
    return _cat("NOT COALESCE(", sql, ", ", FALSE, ")")


def _present(slot: _Slot | _Text) -> Sql:
    if isinstance(slot, _Text):
        return Sql(f"{slot.name} IS NOT NULL")
    return _cat(slot.type, " IS NOT NULL")


def _number_of(slot: _Slot | _Text) -> Sql:
    if isinstance(slot, _Text):
        return Sql(f"sandbox_number({slot.name})")
    t, v = slot.type, slot.value
    return _cat(
        "(CASE WHEN ",
        t,
        " IN ('integer', 'real') THEN CAST(",
        v,
        " AS DOUBLE PRECISION) WHEN ",
        t,
        " = 'text' THEN sandbox_number(",
        v,
        ") END)",
    )


_COMPARISONS = {"gt": " > ", "gte": " >= ", "lt": " < ", "lte": " <= "}


def _value_op(slot: _Slot | _Text, op: str, operand: Any) -> Sql | None:
    if op == "eq":
        return _equal(slot, operand)
    if op == "in":
        options = [_equal(slot, item) for item in operand]
        if any(option is None for option in options):
            return None
        return _join(" OR ", [option for option in options if option is not None])
    if op == "contains":
        return _contains(slot, operand)
    if op in _COMPARISONS:
        return _cat(_number_of(slot), _COMPARISONS[op], _Param(float(operand)))
    return None  # regex: checked by the pure matcher


def _equal(slot: _Slot | _Text, expected: Any) -> Sql | None:
    if is_container(expected):
        return FALSE if isinstance(slot, _Text) else None
    if is_number(expected):
        return _cat(_number_of(slot), " = ", _Param(float(expected)))
    literal = text_form(expected)
    if isinstance(slot, _Text):
        return Sql(f"{slot.name} = ?", (literal,))
    t, v = slot.type, slot.value
    options = [_cat("(", t, " = 'text' AND ", v, " = ", _Param(literal), ")")]
    number = to_number(expected) if isinstance(expected, str) else None
    if number is not None:
        options.append(
            _cat(
                "(", t, " IN ('integer', 'real') AND CAST(", v, " AS DOUBLE PRECISION) = ",
                _Param(number), ")",
            )
        )
    if literal in ("true", "false", "null"):
        options.append(_cat(t, " = ", _Param(literal)))
    return _join(" OR ", options)


def _contains(slot: _Slot | _Text, operand: Any) -> Sql | None:
    if isinstance(slot, _Text):
        if not isinstance(operand, str):
            return FALSE
        return Sql(f"instr({slot.name}, ?) > 0", (operand,))
    options = []
    if isinstance(operand, str):
        options.append(
            _cat(
                "(", slot.type, " = 'text' AND instr(", slot.value, ", ", _Param(operand), ") > 0)"
            )
        )
    if slot.may_nest:
        item = _equal(_Slot(Sql("e.type"), Sql("e.value")), operand)
        if item is None:
            return None
        options.append(
            _cat(
                "(CASE WHEN ",
                slot.type,
                " = 'array' THEN EXISTS (SELECT 1 FROM json_each(",
                slot.value,
                ") AS e WHERE ",
                item,
                ") ELSE ",
                FALSE,
                " END)",
            )
        )
    return _join(" OR ", options) if options else FALSE
