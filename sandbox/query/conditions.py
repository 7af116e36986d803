"""The text grammar for conditions and counts, shared by the CLI (--where, --count) and the URL
form (where=, count=). Each text condition parses to the same structure as the JSON form.

    field=value      equality (the value is the rest of the text, taken as is)
    field!=value     ne
    field>N  field>=N  field<N  field<=N          numeric comparison
    field~regex      regex (a search, on RE2: sandbox/query/user_regex.py)
    field in a|b|c   in (write \\| for a literal bar, \\\\ for a backslash)
    field contains v contains (substring, or list membership)
    field?           exists          !field?   does not exist

Counts: ``2`` or ``=2`` (exactly), ``>=1``, ``<=0``, ``>0`` (same as >=1), ``<3`` (same as
<=2), ``1..3`` (between, inclusive).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from sandbox.errors import SandboxError
from sandbox.query.fields import CAPTURE_FIELDS, FieldSet, field_extent, parse_field
from sandbox.query.operators import NUMBER_RE, is_container, text_form

__all__ = [
    "format_condition",
    "format_count",
    "parse_condition",
    "parse_conditions",
    "parse_count",
]

MAX_CONDITION_LENGTH = 16 * 1024
MAX_NUMBER_LENGTH = 400
_SYMBOLS = (
    ("!=", "ne"),
    (">=", "gte"),
    ("<=", "lte"),
    (">", "gt"),
    ("<", "lt"),
    ("=", "eq"),
    ("~", "regex"),
)
_SYMBOL_OF = {op: symbol for symbol, op in _SYMBOLS}
_WORD = re.compile(r"\s+(in|contains)\s")
_GRAMMAR = (
    "field=value, field!=value, field>N, field>=N, field<N, field<=N, field~regex, "
    "field in a|b|c, field contains value, field? or !field?"
)


def _bad(text: str, problem: str, part: str = "where") -> SandboxError:
    shown = text if len(text) <= 80 else text[:77] + "..."
    return SandboxError(
        f"{part} {shown!r}: {problem}", code="bad_assertion", status=400, field=part
    )


def parse_condition(text: object, fields: FieldSet = CAPTURE_FIELDS) -> tuple[str, Any]:
    """``"json.revenue>=0.99"`` -> ``("json.revenue", {"gte": 0.99})``; equality gives the plain
    value: ``"query.event=install"`` -> ``("query.event", "install")``."""
    if not isinstance(text, str):
        raise _bad(str(text), "a condition is text")
    if len(text) > MAX_CONDITION_LENGTH:
        raise _bad(text, f"longer than {MAX_CONDITION_LENGTH} characters")
    if text.startswith("!"):
        if len(text) < 3 or not text.endswith("?"):
            raise _bad(text, "a leading ! is only for !field? (the field is absent)")
        return _checked(text, text[1:-1], fields), {"exists": False}
    end = field_extent(text)
    name = _checked(text, text[:end], fields)
    rest = text[end:]
    if rest == "?":
        return name, {"exists": True}
    for symbol, op in _SYMBOLS:
        if rest.startswith(symbol):
            value = rest[len(symbol) :]
            if op == "eq":
                return name, value
            if op in ("ne", "regex"):
                return name, {op: value}
            return name, {op: _number(text, value)}
    word = _WORD.match(rest)
    if word is None:
        raise _bad(text, f"expected an operator after {name!r}: {_GRAMMAR}")
    value = rest[word.end() :]
    if word.group(1) == "contains":
        return name, {"contains": value}
    return name, {"in": _split_bars(value)}


def _checked(text: str, name: str, fields: FieldSet) -> str:
    if not name:
        raise _bad(text, f"a condition starts with a field name: {_GRAMMAR}")
    try:
        parse_field(name, fields)
    except SandboxError as error:
        raise _bad(text, error.message) from None
    return name


def _number(text: str, value: str) -> int | float:
    if len(value) <= MAX_NUMBER_LENGTH and NUMBER_RE.fullmatch(value):
        number = int(value) if value.lstrip("+-").isdigit() else float(value)
        if abs(number) < float("inf"):
            return number
    raise _bad(text, f"expected a number after the comparison, got {value!r}")


def _split_bars(value: str) -> list[str]:
    items, current, escaped = [], [], False
    for char in value:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "|":
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        current.append("\\")
    items.append("".join(current))
    return items


def format_condition(field: str, op: Any) -> str:
    """The text form of one condition; parse_condition(format_condition(f, op)) == (f, op) for
    everything parse_condition produces. Non-text values are written as their JSON text."""
    if not isinstance(op, Mapping):
        return f"{field}={_text(op)}"
    if len(op) != 1:
        raise SandboxError(
            f"where {field!r}: {dict(op)!r} has several operators; write one "
            "text condition per operator",
            code="bad_assertion",
            field="where",
        )
    ((operator, operand),) = op.items()
    if operator == "exists":
        return f"{field}?" if operand else f"!{field}?"
    if operator == "in":
        return f"{field} in " + "|".join(_escape_bars(_text(item)) for item in operand)
    if operator == "contains":
        return f"{field} contains {_text(operand)}"
    if operator in ("eq", "ne", "regex"):
        return f"{field}{_SYMBOL_OF[operator]}{_text(operand)}"
    if operator in _SYMBOL_OF:
        return f"{field}{_SYMBOL_OF[operator]}{operand!r}"
    raise SandboxError(
        f"where {field!r}: unknown operator {operator!r}", code="bad_assertion", field="where"
    )


def _text(value: Any) -> str:
    if is_container(value):
        return json.dumps(value, separators=(",", ":"))
    return text_form(value) or ""


def _escape_bars(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")


def parse_conditions(texts: Iterable[str], fields: FieldSet = CAPTURE_FIELDS) -> dict[str, Any]:
    """Several text conditions as one ``where`` document; conditions on the same field merge
    into one operator object (so they must hold for the same value)."""
    merged: dict[str, dict[str, Any]] = {}
    for text in texts:
        name, op = parse_condition(text, fields)
        ops = merged.setdefault(name, {})
        for operator, operand in op.items() if isinstance(op, dict) else [("eq", op)]:
            if operator in ops:
                raise _bad(text, f"{name} already has a {operator!r} condition")
            ops[operator] = operand
    return {name: ops["eq"] if list(ops) == ["eq"] else ops for name, ops in merged.items()}


_COUNT = re.compile(r"(>=|<=|=|>|<)?([0-9]{1,18})|([0-9]{1,18})\.\.([0-9]{1,18})")


def parse_count(text: object) -> dict[str, Any] | int:
    """``"2"`` -> 2, ``">=1"`` -> {"gte": 1}, ``"1..3"`` -> {"between": [1, 3]}, ..."""
    found = _COUNT.fullmatch(text.strip()) if isinstance(text, str) else None
    if found is None:
        raise _bad(str(text), "expected N, =N, >=N, <=N, >N, <N or LOW..HIGH", "count")
    symbol, number, low, high = found.groups()
    if low is not None:
        if int(low) > int(high):
            raise _bad(str(text), "LOW..HIGH needs LOW <= HIGH", "count")
        return {"between": [int(low), int(high)]}
    value = int(number)
    if symbol == "<" and value == 0:
        raise _bad(str(text), "a count cannot be below 0", "count")
    if symbol in (None, "="):
        return value
    operator, bound = {
        ">=": ("gte", value),
        "<=": ("lte", value),
        ">": ("gte", value + 1),
        "<": ("lte", value - 1),
    }[symbol]
    return {operator: bound}


def format_count(count: Mapping[str, Any] | int) -> str:
    """The CLI spelling of a count document: 2, >=1, <=0, 1..3."""
    if isinstance(count, int):
        return str(count)
    ((operator, operand),) = count.items()
    if operator == "between":
        return f"{operand[0]}..{operand[1]}"
    return {"eq": "", "gte": ">=", "lte": "<="}[operator] + str(operand)
