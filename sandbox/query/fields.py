"""The field names of the assertion language, and how each one reads its values from a view.

A field names one place in a record view (a capture today, a delivery next). ``values(view)``
always returns a list: empty when the field is absent, several items where a key repeats
(query parameters, headers, form fields), one item otherwise.

Grammar (see docs/assertions.md)::

    field   := simple | keyed "." key | "json" step+
    key     := bare | quoted          step := "." (bare | quoted) | "[" digits "]"
    quoted  := '"' chars, with \\" and \\\\ escapes '"'

A bare key may not contain whitespace, a double quote or an operator character
(``= ! < > ~ ?``); a bare JSON key may not contain ``. [ ]`` either. Quote anything else:
``json."a.b"``, ``query."utm source"``. Nothing here ever reaches SQL as text.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.errors import SandboxError

__all__ = [
    "CAPTURE_FIELDS",
    "DELIVERY_FIELDS",
    "EXTRACTED_KEYS",
    "FIELD_SETS",
    "Field",
    "FieldSet",
    "JsonStep",
    "ascii_lower",
    "field_extent",
    "field_set_for",
    "format_field",
    "parse_field",
    "quote_key",
]

View = Mapping[str, Any]
JsonStep = str | int
ValuesOf = Callable[[View], list[Any]]
KeyedValuesOf = Callable[[View, str], list[Any]]
JsonRootOf = Callable[[View], Any]

MAX_FIELD_LENGTH = 1000
MAX_JSON_DEPTH = 32
MAX_JSON_INDEX = 2**31 - 1
OPERATOR_CHARS = frozenset("=!<>~?")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    """Lower-case A-Z only: HTTP header names are ASCII, and SQLite's lower() agrees."""
    return text.translate(_ASCII_LOWER)


@dataclass(frozen=True)
class FieldSet:
    """The fields one kind of record offers: simple names, keyed prefixes, and a JSON root."""

    kind: str
    simple: Mapping[str, ValuesOf]
    keyed: Mapping[str, KeyedValuesOf]
    json_root: JsonRootOf | None = None

    def describe(self) -> str:
        names = list(self.simple) + [f"{prefix}.<key>" for prefix in self.keyed]
        if self.json_root is not None:
            names.append("json.<path>")
        return ", ".join(names[:-1]) + " or " + names[-1]


@dataclass(frozen=True)
class Field:
    """One parsed field name. ``kind`` is "simple", a keyed prefix ("query", ...) or "json".
    Fields compare by meaning: ``query.a`` equals ``query."a"``."""

    name: str = dataclasses.field(compare=False)
    kind: str
    field_set: FieldSet = dataclasses.field(compare=False, repr=False)
    key: str = ""
    path: tuple[JsonStep, ...] = ()

    def values(self, view: View) -> list[Any]:
        if self.kind == "simple":
            return self.field_set.simple[self.key](view)
        if self.kind == "json":
            root_of = self.field_set.json_root
            return _walk(root_of(view), self.path) if root_of is not None else []
        return self.field_set.keyed[self.kind](view, self.key)

    @property
    def text(self) -> str:
        """The canonical spelling; parse_field(field.text) gives an equal field."""
        return format_field(self)


def _walk(root: Any, path: tuple[JsonStep, ...]) -> list[Any]:
    current = root
    for step in path:
        if isinstance(step, int):
            if not isinstance(current, list) or step >= len(current):
                return []
        elif not isinstance(current, dict) or step not in current:
            return []
        current = current[step]
    return [current]


# --- the capture view (see the capture view reference) -------------------------------------


def _present(name: str) -> ValuesOf:
    return lambda view: [] if view.get(name) is None else [view[name]]


def _extracted(name: str) -> ValuesOf:
    return lambda view: [] if (view.get("keys") or {}).get(name) is None else [view["keys"][name]]


def _multi(name: str) -> KeyedValuesOf:
    return lambda view, key: list((view.get(name) or {}).get(key) or [])


def _headers(view: View, key: str) -> list[Any]:
    wanted = ascii_lower(key)
    return [value for name, value in view.get("headers") or [] if ascii_lower(name) == wanted]


EXTRACTED_KEYS = ("click_id", "event_name", "transaction_id", "device_id", "revenue", "currency")

CAPTURE_FIELDS = FieldSet(
    kind="captures",
    simple={
        "method": _present("method"),
        "path": _present("path"),
        "channel": _present("channel"),
        "body": _present("body_text"),
        "verdict": _present("verdict"),
        **{name: _extracted(name) for name in EXTRACTED_KEYS},
    },
    keyed={"query": _multi("query"), "header": _headers, "form": _multi("form")},
    json_root=lambda view: view.get("json"),
)

# Over a delivery view (sandbox/query/delivery_views.py); ``chaos`` holds every injected fault kind.
DELIVERY_FIELDS = FieldSet(
    kind="deliveries",
    simple={name: _present(name) for name in (
        "status", "attempts", "state", "network", "kind", "url", "event_name", "click_id")}
    | {"chaos": lambda view: list(view.get("chaos") or [])},
    keyed={"query": _multi("query"), "header": _headers},
    json_root=lambda view: view.get("json"),
)
FIELD_SETS: dict[str, FieldSet] = {"captures": CAPTURE_FIELDS, "deliveries": DELIVERY_FIELDS}


def field_set_for(kind: str) -> FieldSet | None:
    return FIELD_SETS.get(kind)


# --- parsing ---------------------------------------------------------------------------------


def _bad(name: str, problem: str, fields: FieldSet) -> SandboxError:
    return SandboxError(
        f"field {name!r}: {problem} (expected {fields.describe()})",
        code="bad_field",
        status=400,
        field=name,
    )


def parse_field(name: object, fields: FieldSet = CAPTURE_FIELDS) -> Field:
    """Parse a field name, or raise SandboxError(code="bad_field") naming what is allowed."""
    if not isinstance(name, str):
        raise _bad(str(name), "a field name is text", fields)
    if len(name) > MAX_FIELD_LENGTH:
        raise _bad(name[:40] + "...", f"longer than {MAX_FIELD_LENGTH} characters", fields)
    if name in fields.simple:
        return Field(name, "simple", fields, key=name)
    if fields.json_root is not None and name.startswith(("json.", "json[")):
        return Field(name, "json", fields, path=_parse_path(name, fields))
    prefix, dot, rest = name.partition(".")
    if dot and prefix in fields.keyed:
        key, end = _read_key(name, len(prefix) + 1, fields, json=False)
        if end != len(name):
            raise _bad(name, "nothing may follow a quoted key", fields)
        return Field(name, prefix, fields, key=key)
    raise _bad(name, "unknown field", fields)


def _parse_path(name: str, fields: FieldSet) -> tuple[JsonStep, ...]:
    steps: list[JsonStep] = []
    pos = len("json")
    while pos < len(name):
        if len(steps) == MAX_JSON_DEPTH:
            raise _bad(name, f"a JSON path has at most {MAX_JSON_DEPTH} steps", fields)
        if name[pos] == ".":
            key, pos = _read_key(name, pos + 1, fields, json=True)
            steps.append(key)
        elif name[pos] == "[":
            close = name.find("]", pos)
            digits = name[pos + 1 : close] if close > 0 else ""
            if not (digits.isascii() and digits.isdigit()) or len(digits) > 10:
                raise _bad(name, "a list index is [n] with n a whole number, e.g. [0]", fields)
            if int(digits) > MAX_JSON_INDEX:
                raise _bad(name, f"list index above {MAX_JSON_INDEX}", fields)
            steps.append(int(digits))
            pos = close + 1
        else:
            raise _bad(name, f"unexpected {name[pos]!r} in the JSON path", fields)
    return tuple(steps)


def _read_key(name: str, pos: int, fields: FieldSet, *, json: bool) -> tuple[str, int]:
    """Read a bare or quoted key starting at ``pos``; return it and the position after it."""
    if pos < len(name) and name[pos] == '"':
        return _read_quoted(name, pos, fields)
    stops = _JSON_STOPS if json else frozenset()
    end = pos
    while end < len(name) and name[end] not in stops:
        end += 1
    key = name[pos:end]
    if not key:
        raise _bad(name, "a key is missing after the dot", fields)
    if any(_needs_quotes(char, json=json) for char in key):
        raise _bad(
            name, f"key {key!r} must be quoted: {name[:pos]}{quote_key(key, json=json)}", fields
        )
    return key, end


def _read_quoted(name: str, pos: int, fields: FieldSet) -> tuple[str, int]:
    chars: list[str] = []
    index = pos + 1
    while index < len(name):
        char = name[index]
        if char == "\\" and index + 1 < len(name):
            chars.append(name[index + 1])
            index += 2
        elif char == '"':
            return "".join(chars), index + 1
        else:
            chars.append(char)
            index += 1
    raise _bad(name, "a quoted key is missing its closing quote", fields)


_JSON_STOPS = frozenset(".[")


def _needs_quotes(char: str, *, json: bool) -> bool:
    if char in OPERATOR_CHARS or char == '"' or char.isspace() or not char.isprintable():
        return True
    return json and char in ".[]"


def quote_key(key: str, *, json: bool) -> str:
    """The key as written in a field name: bare when it can be, else quoted."""
    if key and not any(_needs_quotes(char, json=json) for char in key):
        return key
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_field(field: Field) -> str:
    if field.kind == "simple":
        return field.key
    if field.kind != "json":
        return f"{field.kind}.{quote_key(field.key, json=False)}"
    return "json" + "".join(
        f"[{step}]" if isinstance(step, int) else "." + quote_key(step, json=True)
        for step in field.path
    )


def field_extent(text: str) -> int:
    """Where a field name ends in a text condition: at the first operator character or space
    outside a quoted key (an unterminated quote runs to the end; parse_field reports it)."""
    index = 0
    while index < len(text):
        char = text[index]
        if char == '"':
            index += 1
            while index < len(text) and text[index] != '"':
                index += 2 if text[index] == "\\" else 1
        elif char in OPERATOR_CHARS or char.isspace():
            return index
        index += 1
    return min(index, len(text))
