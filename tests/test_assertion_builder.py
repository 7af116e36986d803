""""Assert on this": the built assertion holds on the capture it came from, in all three forms."""

from __future__ import annotations

import ast
import shlex
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.errors import SandboxError
from sandbox.query.builder import build_assertion, candidate_fields, default_selection
from sandbox.query.conditions import parse_conditions, parse_count
from sandbox.query.matchers import matches, parse_where

SERVER = "http://127.0.0.1:8377"


def make_view(**overrides: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": 7, "channel": "net1", "method": "POST", "path": "/pb/net1/install",
        "query_string": "click_id=abc&event=install&event=x",
        "query": {"click_id": ["abc"], "event": ["install", "x"]},
        "headers": [["Host", "127.0.0.1"], ["X-A", "1"], ["x-a", "2"]],
        "form": None, "json": {"revenue": 1.5, "items": [{"sku": "a"}], "ok": True, "n": None},
        "body_text": '{"revenue": 1.5}', "verdict": None,
        "keys": {"click_id": "abc", "event_name": "install", "transaction_id": None,
                 "device_id": None, "revenue": None, "currency": None},
    }
    view.update(overrides)
    return view


def holds_three_ways(built: dict[str, Any], view: dict[str, Any]) -> None:
    """The JSON document, the CLI line and the pytest call all say the same, and hold."""
    document = built["assertion"]
    assert document["channel"] == view["channel"]
    assert matches(parse_where(document["where"]), view)
    assert matches(parse_where(parse_conditions(built["conditions"])), view)
    words = shlex.split(built["cli"])
    assert words[:6] == ["postback-sandbox", "assert", "--server", SERVER, "--channel",
                         view["channel"]]
    wheres = [words[i + 1] for i, word in enumerate(words) if word == "--where"]
    assert wheres == built["conditions"]
    assert parse_count(words[words.index("--count") + 1]) == document["count"]
    call = ast.parse(built["pytest"], mode="eval").body
    assert isinstance(call, ast.Call)
    assert ast.unparse(call.func) == "postback_sandbox.assert_received"
    keywords = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    assert keywords == {"channel": view["channel"], "where": document["where"],
                        "count": document["count"]}


def test_default_selection_is_the_extracted_keys():
    view = make_view()
    assert default_selection(view) == ["click_id", "event_name"]
    built = build_assertion(view, default_selection(view), server_url=SERVER)
    assert built["assertion"] == {
        "channel": "net1", "where": {"click_id": "abc", "event_name": "install"},
        "count": {"gte": 1},
    }
    assert built["conditions"] == ["click_id=abc", "event_name=install"]
    holds_three_ways(built, view)


def test_candidates_cover_each_field_once_with_its_first_value():
    offered = {c["field"]: c for c in candidate_fields(make_view())}
    assert offered["query.event"]["value"] == "install"  # the first of a repeated parameter
    assert offered["header.X-A"]["value"] == "1"  # case-insensitive: one entry per header
    assert "header.x-a" not in offered
    assert offered["json.revenue"]["condition"] == "json.revenue=1.5"
    assert offered["json.items[0].sku"]["value"] == "a"
    assert offered["json.ok"]["value"] is True
    assert offered["json.n"]["condition"] == "json.n=null"
    assert "json.items" not in offered  # containers are not offered


def test_every_candidate_builds_an_assertion_that_holds():
    view = make_view()
    fields = [c["field"] for c in candidate_fields(view)]
    holds_three_ways(build_assertion(view, fields, server_url=SERVER, count="1"), view)


@pytest.mark.parametrize("field", ["query.nothing", "json.items", "nonsense", "verdict"])
def test_a_field_the_capture_does_not_offer_is_refused(field):
    with pytest.raises(SandboxError) as caught:
        build_assertion(make_view(), [field], server_url=SERVER)
    assert caught.value.field == "field"


def test_a_bad_count_is_refused():
    with pytest.raises(SandboxError):
        build_assertion(make_view(), ["method"], server_url=SERVER, count="lots")


keys = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1,
               max_size=12)
values = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)
scalars = st.one_of(values, st.integers(-10**6, 10**6), st.booleans(), st.none(),
                    st.floats(allow_nan=False, allow_infinity=False, width=32))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=3)), max_leaves=8)


@given(
    query=st.dictionaries(keys, st.lists(values, min_size=1, max_size=3), max_size=4),
    headers=st.lists(st.tuples(st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,10}", fullmatch=True),
                               values), max_size=4),
    body=json_values,
    channel=st.from_regex(r"[A-Za-z0-9._-]{1,10}", fullmatch=True),
)
def test_any_capture_gives_assertions_that_hold_on_it(query, headers, body, channel):
    view = make_view(query=query, headers=[list(h) for h in headers], json=body,
                     channel=channel, form=query or None)
    fields = [c["field"] for c in candidate_fields(view)]
    holds_three_ways(build_assertion(view, fields, server_url=SERVER), view)
