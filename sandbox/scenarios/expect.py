"""A scenario's ``expect:`` entries, checked with the rest of the file.

The assertion language decides what is valid (``parse_assertion``: its fields, operators and
counts); this module only says where the mistake sits in the file and which known name was
probably meant, using the language's own tables of names.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sandbox.docfile import PathTuple, closest
from sandbox.errors import SandboxError
from sandbox.query.document import ASSERTION_KEYS, COUNT_OPERATORS, parse_assertion
from sandbox.query.fields import CAPTURE_FIELDS, FIELD_SETS, FieldSet, field_set_for, parse_field
from sandbox.query.operators import OPERATORS


def expectation_problems(expect: Any) -> Iterator[tuple[PathTuple, str]]:
    """(where, message) for every ``expect:`` entry the assertion language refuses."""
    for index, doc in enumerate(expect if isinstance(expect, list) else []):
        try:
            parse_assertion(doc)
        except SandboxError as error:
            part = error.field or "assertion"
            message = error.message.removeprefix(f"{part}: ")
            hint = _hint(doc, part) if isinstance(doc, Mapping) else ""
            yield ("expect", index, *_spot(part)), message + hint


def _spot(part: str) -> PathTuple:
    if part == "assertion":
        return ()
    head, dot, rest = part.partition(".")
    return (head, rest) if dot and head == "where" else (part,)


def _hint(doc: Mapping[str, Any], part: str) -> str:
    on = doc.get("on", "captures")
    fields = (field_set_for(on) if isinstance(on, str) else None) or CAPTURE_FIELDS
    if part == "on":
        return _mean(doc.get("on"), FIELD_SETS)
    if part == "unique":
        return _field_hint(doc.get("unique"), fields)
    if part.startswith("where."):
        name, written = part[len("where."):], (doc.get("where") or {}).get(part[len("where."):])
        hint = _field_hint(name, fields)
        if not hint and isinstance(written, Mapping):
            hint = next((_mean(op, OPERATORS) for op in written if op not in OPERATORS), "")
        return hint
    if part == "count":
        return _count_hint(doc.get("count"))
    if part not in ASSERTION_KEYS:
        return _mean(part, ASSERTION_KEYS)
    return ""


def _mean(word: object, choices: Any) -> str:
    close = closest(word, list(choices)) if isinstance(word, str) else None
    return f" (did you mean {close!r}?)" if close else ""


def _field_hint(name: object, fields: FieldSet) -> str:
    """A close known field for an unknown one: a simple name, or a keyed prefix or json root
    with the rest kept (``qeury.click_id`` -> ``query.click_id``)."""
    if not isinstance(name, str):
        return ""
    try:
        parse_field(name, fields)
        return ""
    except SandboxError:
        pass
    roots = [*fields.keyed, *(["json"] if fields.json_root is not None else [])]
    head, dot, rest = name.partition(".")
    if dot:
        close = closest(head, roots)
        return f" (did you mean {close + dot + rest!r}?)" if close else ""
    return _mean(name, fields.simple)


def _count_hint(count: object) -> str:
    if not isinstance(count, Mapping):
        return ""
    unknown = [op for op in count if op not in COUNT_OPERATORS]
    if unknown:
        return _mean(unknown[0], COUNT_OPERATORS)
    low, high = count.get("gte"), count.get("lte")
    if set(count) == {"gte", "lte"} and isinstance(low, int) and isinstance(high, int):
        if low > high:
            return f"; it can never hold: at least {low} and at most {high}"
        return f"; for a range write {{between: [{low}, {high}]}}"
    return ""
