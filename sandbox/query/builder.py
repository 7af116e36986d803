""""Assert on this": turn fields of one captured postback into an assertion that holds on it.

Pure. ``candidate_fields`` lists what a capture offers (each field once, with the value it has);
``build_assertion`` writes the chosen ones three ways: the JSON document for POST /api/assert,
a ``postback-sandbox assert`` command line and a ``postback_sandbox.assert_received`` call.
A field that repeats (a query parameter sent twice) is asserted on its first value. Values that
are objects or lists are not offered: their text form would not compare equal.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from sandbox.errors import SandboxError
from sandbox.query.conditions import format_condition, format_count, parse_count
from sandbox.query.document import parse_count_doc, parse_where
from sandbox.query.fields import EXTRACTED_KEYS, parse_field, quote_key
from sandbox.query.matchers import matches
from sandbox.query.operators import is_container

MAX_CANDIDATES = 300
MAX_JSON_DEPTH = 8
MAX_BODY_CHARS = 1000
DEFAULT_COUNT = ">=1"
View = Mapping[str, Any]


def _json_leaves(value: Any, name: str, depth: int = 0) -> list[tuple[str, Any]]:
    if isinstance(value, dict) and depth < MAX_JSON_DEPTH:
        return [
            leaf
            for key, item in value.items()
            for leaf in _json_leaves(item, f"{name}.{quote_key(key, json=True)}", depth + 1)
        ]
    if isinstance(value, list) and depth < MAX_JSON_DEPTH:
        return [
            leaf for i, item in enumerate(value) for leaf in _json_leaves(item, f"{name}[{i}]",
                                                                          depth + 1)
        ]
    return [] if is_container(value) else [(name, value)]


def _field_names(view: View) -> list[str]:
    names = ["method", "path"]
    names += [key for key in EXTRACTED_KEYS if (view.get("keys") or {}).get(key) is not None]
    if view.get("verdict") is not None:
        names.append("verdict")
    for prefix, source in (("query", view.get("query")), ("form", view.get("form"))):
        names += [f"{prefix}.{quote_key(key, json=False)}" for key in source or {}]
    seen_headers: set[str] = set()
    for header, _ in view.get("headers") or []:
        if header.lower() not in seen_headers:
            seen_headers.add(header.lower())
            names.append(f"header.{quote_key(header, json=False)}")
    if is_container(view.get("json")):  # a bare scalar body has no json.<path> to name it
        names += [name for name, _ in _json_leaves(view["json"], "json")]
    body_text = view.get("body_text") or ""
    if 0 < len(body_text) <= MAX_BODY_CHARS and "\ufffd" not in body_text:  # text, not bytes
        names.append("body")
    return names


def candidate_fields(view: View) -> list[dict[str, Any]]:
    """[{"field", "value", "condition"}] for every field of the capture that can be asserted."""
    found = []
    for name in _field_names(view)[:MAX_CANDIDATES]:
        values = parse_field(name).values(view)
        if values and not is_container(values[0]):
            condition = format_condition(name, values[0])
            found.append({"field": name, "value": values[0], "condition": condition})
    return found


def default_selection(view: View) -> list[str]:
    """The fields preselected in the inspector: the extracted keys, else method and path."""
    chosen = [key for key in EXTRACTED_KEYS if (view.get("keys") or {}).get(key) is not None]
    return chosen or ["method", "path"]


def _py(value: Any) -> str:
    """A Python literal for a JSON value (JSON string escapes are valid Python escapes)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_py(k)}: {_py(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_py(v) for v in value) + "]"
    if value is None or isinstance(value, bool):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def build_assertion(
    view: View, fields: Sequence[str], *, server_url: str, count: str = DEFAULT_COUNT
) -> dict[str, Any]:
    """The assertion over the chosen fields (scoped to the capture's channel), written as JSON,
    a CLI line and a pytest call. It holds on ``view`` itself; an unknown field or one the
    capture does not have is a SandboxError naming it."""
    offered = {c["field"]: c for c in candidate_fields(view)}
    chosen = []
    for name in dict.fromkeys(fields):
        try:
            canonical = parse_field(name).text
        except SandboxError as error:
            raise SandboxError(error.message, code="bad_field", field="field") from None
        if canonical not in offered:
            raise SandboxError(
                f"field {name!r}: postback {view['id']} has no single value there to assert on",
                code="bad_field", field="field",
            )
        chosen.append(offered[canonical])
    count_doc = parse_count(count)
    parse_count_doc(count_doc)
    channel = view["channel"]
    where = {c["field"]: c["value"] for c in chosen}
    if not matches(parse_where(where), view):  # would be a bug in the builder
        raise AssertionError(f"built assertion does not hold on postback {view['id']}")
    document = {"channel": channel, "where": where, "count": count_doc}
    conditions = [c["condition"] for c in chosen]
    cli = ["postback-sandbox", "assert", "--server", server_url.rstrip("/"), "--channel", channel]
    for text in conditions:
        cli += ["--where", text]
    cli += ["--count", format_count(count_doc)]
    pytest_call = (
        f"postback_sandbox.assert_received(channel={_py(channel)}, where={_py(where)}, "
        f"count={_py(count_doc)})"
    )
    return {
        "id": view["id"],
        "fields": [c["field"] for c in chosen],
        "assertion": document,
        "conditions": conditions,
        "cli": shlex.join(cli),
        "pytest": pytest_call,
    }
