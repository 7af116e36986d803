"""The text grammar for conditions (--where, where=) and counts (--count, count=)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.errors import SandboxError
from sandbox.query.conditions import (
    format_condition,
    format_count,
    parse_condition,
    parse_conditions,
    parse_count,
)
from sandbox.query.fields import CAPTURE_FIELDS, Field, format_field
from sandbox.query.matchers import parse_assertion

EXAMPLES = [
    ("query.event=af_purchase", ("query.event", "af_purchase")),
    ("query.event=", ("query.event", "")),
    ("query.event=a=b", ("query.event", "a=b")),
    ("method!=GET", ("method", {"ne": "GET"})),
    ("json.revenue>0", ("json.revenue", {"gt": 0})),
    ("json.revenue>=0.99", ("json.revenue", {"gte": 0.99})),
    ("json.revenue<1e3", ("json.revenue", {"lt": 1000.0})),
    ("json.revenue<=-2", ("json.revenue", {"lte": -2})),
    ("query.click_id~^[0-9a-f-]{36}$", ("query.click_id", {"regex": "^[0-9a-f-]{36}$"})),
    ("event_name in install|af_purchase", ("event_name", {"in": ["install", "af_purchase"]})),
    ("event_name in a\\|b|c\\\\", ("event_name", {"in": ["a|b", "c\\"]})),
    ("event_name in  x", ("event_name", {"in": [" x"]})),
    ("json.items contains vip", ("json.items", {"contains": "vip"})),
    ("header.x-signature?", ("header.x-signature", {"exists": True})),
    ("!verdict?", ("verdict", {"exists": False})),
    ('json."a.b"=1', ('json."a.b"', "1")),
    ('json."a=b">=1', ('json."a=b"', {"gte": 1})),
    ('!query."a b"?', ('query."a b"', {"exists": False})),
]


@pytest.mark.parametrize("text, parsed", EXAMPLES)
def test_each_text_form_parses_to_the_json_form(text: str, parsed: tuple[str, Any]) -> None:
    assert parse_condition(text) == parsed


@pytest.mark.parametrize(
    "text, problem",
    [
        ("", "starts with a field"),
        ("=x", "starts with a field"),
        ("query.event", "expected an operator"),
        ("query.event?x", "expected an operator"),
        ("json.revenue>=abc", "expected a number"),
        ("json.revenue>=1e999", "expected a number"),
        ("json.revenue> 1", "expected a number"),
        ("!verdict", "only for !field?"),
        ("nope=1", "unknown field"),
        ("query.a b=1", "expected an operator"),
        ('json."a=1', "closing quote"),
        ("x" * 20000, "longer than"),
    ],
)
def test_bad_conditions_are_400s_naming_the_condition(text: str, problem: str) -> None:
    with pytest.raises(SandboxError) as caught:
        parse_condition(text)
    assert (caught.value.status, caught.value.code, caught.value.field) == (
        400, "bad_assertion", "where",
    )  # fmt: skip
    assert problem in caught.value.message
    assert text[:20] in caught.value.message


def test_the_text_form_and_the_json_form_make_the_same_assertion() -> None:
    texts = ["query.event=af_purchase", "json.revenue>=0.99", "header.x-signature?"]
    from_text = parse_assertion({"where": parse_conditions(texts)})
    from_json = parse_assertion(
        {"where": {"query.event": "af_purchase", "json.revenue": {"gte": 0.99},
                   "header.x-signature": {"exists": True}}}
    )  # fmt: skip
    assert from_text.where == from_json.where


def test_conditions_on_one_field_merge_into_one_operator_object() -> None:
    where = parse_conditions(["json.revenue>=1", "json.revenue<=5", "query.e=x", "query.e!=y"])
    assert where == {"json.revenue": {"gte": 1, "lte": 5}, "query.e": {"eq": "x", "ne": "y"}}


def test_the_same_operator_twice_on_one_field_is_refused() -> None:
    with pytest.raises(SandboxError, match="already has a 'eq' condition"):
        parse_conditions(["query.e=x", "query.e=y"])


@pytest.mark.parametrize("text, parsed", EXAMPLES)
def test_format_condition_writes_the_text_back(text: str, parsed: tuple[str, Any]) -> None:
    assert parse_condition(format_condition(*parsed)) == parsed


@pytest.mark.parametrize(
    "op, text",
    [
        (1.5, "json.a=1.5"),
        (True, "json.a=true"),
        (None, "json.a=null"),
        ({"eq": [1, 2]}, "json.a=[1,2]"),
        ({"in": [1, "x"]}, "json.a in 1|x"),
        ({"contains": 2}, "json.a contains 2"),
    ],
)
def test_values_that_are_not_text_are_written_as_json_text(op: Any, text: str) -> None:
    assert format_condition("json.a", op) == text


def test_several_operators_cannot_be_one_text_condition() -> None:
    with pytest.raises(SandboxError, match="one text condition per operator"):
        format_condition("json.a", {"gte": 1, "lte": 2})


field_texts = st.one_of(
    st.sampled_from(sorted(CAPTURE_FIELDS.simple)),
    st.tuples(st.sampled_from(["query", "header", "form"]), st.text(min_size=1, max_size=5)).map(
        lambda pair: format_field(Field("", pair[0], CAPTURE_FIELDS, key=pair[1]))
    ),
    st.lists(st.text(max_size=5) | st.integers(0, 9), min_size=1, max_size=3).map(
        lambda path: format_field(Field("", "json", CAPTURE_FIELDS, path=tuple(path)))
    ),
)
numbers = st.integers(-(10**20), 10**20) | st.floats(allow_nan=False, allow_infinity=False)
text_ops = st.one_of(
    st.text(),
    st.fixed_dictionaries({"ne": st.text()}),
    st.fixed_dictionaries({"regex": st.text()}),
    st.fixed_dictionaries({"contains": st.text()}),
    st.fixed_dictionaries({"in": st.lists(st.text(), min_size=1, max_size=4)}),
    st.sampled_from(["gt", "gte", "lt", "lte"]).flatmap(
        lambda op: st.fixed_dictionaries({op: numbers})
    ),
    st.fixed_dictionaries({"exists": st.booleans()}),
)


@given(field=field_texts, op=text_ops)
def test_parse_of_format_is_the_identity(field: str, op: Any) -> None:
    assert parse_condition(format_condition(field, op)) == (field, op)


@given(st.text(max_size=80))
def test_parse_condition_raises_only_sandbox_errors(text: str) -> None:
    try:
        field, op = parse_condition(text)
    except SandboxError as error:
        assert error.status == 400
    else:
        assert parse_condition(format_condition(field, op)) == (field, op)


@pytest.mark.parametrize(
    "text, count",
    [
        ("2", 2),
        ("=2", 2),
        (" 0 ", 0),
        (">=1", {"gte": 1}),
        ("<=0", {"lte": 0}),
        (">0", {"gte": 1}),
        ("<3", {"lte": 2}),
        ("1..3", {"between": [1, 3]}),
        ("2..2", {"between": [2, 2]}),
    ],
)
def test_count_forms(text: str, count: Any) -> None:
    assert parse_count(text) == count
    assert parse_assertion({"count": count}).count.holds(2) == parse_assertion(
        {"count": parse_count(format_count(count))}
    ).count.holds(2)


@pytest.mark.parametrize("text", ["", "x", "-1", ">=-1", "3..1", "<0", "1.5", ">= 1", "1..", 3])
def test_bad_counts_are_400s(text: Any) -> None:
    with pytest.raises(SandboxError) as caught:
        parse_count(text)
    assert (caught.value.code, caught.value.field) == ("bad_assertion", "count")


@given(st.text(max_size=12))
def test_parse_count_raises_only_sandbox_errors(text: str) -> None:
    try:
        count = parse_count(text)
    except SandboxError:
        return
    assert parse_assertion({"count": count}).count is not None
