"""The field grammar and how each field reads a capture view."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.errors import SandboxError
from sandbox.query.fields import (
    CAPTURE_FIELDS,
    FIELD_SETS,
    Field,
    FieldSet,
    field_extent,
    format_field,
    parse_field,
)

VIEW: dict[str, Any] = {
    "id": 17,
    "channel": "net1",
    "method": "POST",
    "path": "/pb/net1/install",
    "query": {"click_id": ["abc"], "event": ["install", "x"], "a.b": ["dotted"], "e": [""]},
    "headers": [["Host", "h"], ["Content-Type", "application/json"], ["X-A", "1"], ["x-a", "2"]],
    "body_text": '{"revenue": 1.5}',
    "form": {"amount": ["3"]},
    "json": {"revenue": 1.5, "items": [{"sku": "a"}, {"sku": "b"}], "a.b": "key with a dot",
             "a": {"b": "nested"}, "n": None},
    "received_at": "2026-11-28T10:00:00.123456Z",
    "keys": {"click_id": "abc", "event_name": "install", "transaction_id": None,
             "device_id": None, "revenue": "1.5", "currency": None},
    "verdict": None,
}  # fmt: skip


@pytest.mark.parametrize(
    "name, values",
    [
        ("method", ["POST"]),
        ("path", ["/pb/net1/install"]),
        ("channel", ["net1"]),
        ("body", ['{"revenue": 1.5}']),
        ("verdict", []),
        ("click_id", ["abc"]),
        ("event_name", ["install"]),
        ("transaction_id", []),
        ("device_id", []),
        ("revenue", ["1.5"]),
        ("currency", []),
        ("query.event", ["install", "x"]),
        ("query.a.b", ["dotted"]),
        ('query."a.b"', ["dotted"]),
        ("query.e", [""]),
        ("query.missing", []),
        ("header.x-a", ["1", "2"]),
        ("header.CONTENT-TYPE", ["application/json"]),
        ("header.x-b", []),
        ("form.amount", ["3"]),
        ("form.other", []),
        ("json.revenue", [1.5]),
        ("json.items[1].sku", ["b"]),
        ("json.items[2].sku", []),
        ("json.items", [[{"sku": "a"}, {"sku": "b"}]]),
        ('json."a.b"', ["key with a dot"]),
        ("json.a.b", ["nested"]),
        ("json.n", [None]),
        ("json.revenue.x", []),
        ("json[0]", []),
    ],
)
def test_each_field_reads_its_values_from_the_capture_view(name: str, values: list[Any]) -> None:
    assert parse_field(name).values(VIEW) == values


def test_form_and_json_are_absent_when_the_body_was_neither() -> None:
    view = {**VIEW, "form": None, "json": None}
    assert parse_field("form.amount").values(view) == []
    assert parse_field("json.revenue").values(view) == []


def test_a_root_list_is_addressed_by_index() -> None:
    assert parse_field("json[1].x").values({"json": [{}, {"x": 2}]}) == [2]


@pytest.mark.parametrize(
    "name, problem",
    [
        ("foo", "unknown field"),
        ("Method", "unknown field"),
        ("query", "unknown field"),
        ("query.", "key is missing"),
        ("json", "unknown field"),
        ("json.", "key is missing"),
        ("json.a..b", "key is missing"),
        ("json.items[x]", "list index"),
        ("json.items[-1]", "list index"),
        ("json.items[0", "list index"),
        ("json.a]", "must be quoted"),
        ('json."a', "closing quote"),
        ('query."a"b', "nothing may follow"),
        ("query.a b", "must be quoted"),
        ("json.a=b", "must be quoted"),
        ("header.x?", "must be quoted"),
        ("json" + ".a" * 40, "at most 32 steps"),
        ("x" * 2000, "longer than"),
    ],
)
def test_names_outside_the_grammar_are_a_clear_400(name: str, problem: str) -> None:
    with pytest.raises(SandboxError) as caught:
        parse_field(name)
    error = caught.value
    assert (error.status, error.code) == (400, "bad_field")
    assert problem in error.message
    assert "query.<key>" in error.message and "json.<path>" in error.message


def test_a_field_name_must_be_text() -> None:
    with pytest.raises(SandboxError, match="text"):
        parse_field(12)


@pytest.mark.parametrize(
    "name, canonical",
    [
        ("method", "method"),
        ('query."event"', "query.event"),
        ('json."a"."b c"[0]', 'json.a."b c"[0]'),
        ('json."a.b"', 'json."a.b"'),
        ('json."q\\"x"', 'json."q\\"x"'),
        ('header."x y"', 'header."x y"'),
        ("query.utm[source]", "query.utm[source]"),
    ],
)
def test_the_canonical_spelling_parses_back_to_the_same_field(name: str, canonical: str) -> None:
    field = parse_field(name)
    assert format_field(field) == canonical
    assert parse_field(canonical) == field


keys = st.text(max_size=6)
fields = st.one_of(
    st.sampled_from(sorted(CAPTURE_FIELDS.simple)).map(
        lambda name: Field(name, "simple", CAPTURE_FIELDS, key=name)
    ),
    st.tuples(st.sampled_from(["query", "header", "form"]), keys.filter(bool)).map(
        lambda pair: Field("", pair[0], CAPTURE_FIELDS, key=pair[1])
    ),
    st.lists(keys | st.integers(0, 99), min_size=1, max_size=4).map(
        lambda path: Field("", "json", CAPTURE_FIELDS, path=tuple(path))
    ),
)


@given(fields)
def test_any_field_round_trips_through_its_text(field: Field) -> None:
    text = format_field(field)
    parsed = parse_field(text)
    assert (parsed.kind, parsed.key, parsed.path) == (field.kind, field.key, field.path)
    assert field_extent(text + ">=1") == len(text)


@given(st.text(max_size=60))
def test_parse_field_raises_only_sandbox_errors(name: str) -> None:
    try:
        field = parse_field(name)
    except SandboxError as error:
        assert error.code == "bad_field" and error.field is not None
    else:
        assert isinstance(field.values(VIEW), list)


def test_a_second_record_kind_plugs_in_its_own_field_set() -> None:
    deliveries = FieldSet(
        kind="deliveries",
        simple={"status": lambda view: [view["status"]]},
        keyed={"query": lambda view, key: view["query"].get(key, [])},
    )
    field = parse_field("status", deliveries)
    assert field.values({"status": 200}) == [200]
    assert parse_field("query.a", deliveries).values({"query": {"a": ["1"]}}) == ["1"]
    with pytest.raises(SandboxError, match="status or query.<key>"):
        parse_field("json.a", deliveries)
    assert FIELD_SETS["captures"] is CAPTURE_FIELDS
