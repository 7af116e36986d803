"""The assertion document, the pure matcher, outcomes, near misses and the waiting rules."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.errors import SandboxError
from sandbox.query.fields import CAPTURE_FIELDS
from sandbox.query.matchers import (
    Difference,
    WaitJudge,
    differences,
    evaluate,
    holds_now,
    in_scope,
    matches,
    parse_assertion,
    summarize,
)
from sandbox.query.operators import MAX_REGEX_INPUT, OPERATORS

DOCS = Path(__file__).resolve().parent.parent / "docs" / "assertions.md"


def capture(capture_id: int = 1, **changes: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": capture_id,
        "channel": "net1",
        "method": "POST",
        "path": "/pb/net1/install",
        "query": {"click_id": ["abc"], "event": ["install", "x"]},
        "headers": [["Content-Type", "application/json"], ["X-A", "1"], ["X-A", "2"]],
        "body_text": '{"revenue": 1.5, "items": ["vip", 2]}',
        "form": None,
        "json": {"revenue": 1.5, "items": ["vip", 2], "price": "0.99", "flag": True, "n": None},
        "received_at": f"2026-11-28T10:00:{capture_id:02d}.000000Z",
        "keys": {"click_id": "abc", "event_name": "install", "transaction_id": None,
                 "device_id": None, "revenue": "1.50", "currency": "USD"},
        "verdict": None,
    }  # fmt: skip
    view.update(changes)
    return view


def holds(where: dict[str, Any], view: dict[str, Any] | None = None) -> bool:
    return matches(parse_assertion({"where": where}).where, view or capture())


@pytest.mark.parametrize(
    "where, expected",
    [
        # equality (the default)
        ({"method": "POST"}, True),
        ({"method": "post"}, False),
        ({"query.event": "x"}, True),  # any value of a repeated key
        ({"json.revenue": 1.5}, True),
        ({"json.revenue": "1.50"}, True),  # a numeric string equals a number
        ({"revenue": 1.5}, True),
        ({"revenue": "1.5"}, False),  # two strings compare exactly
        ({"json.flag": "true"}, True),
        ({"json.flag": True}, True),
        ({"json.flag": 1}, False),
        ({"json.n": None}, True),
        ({"json.items": {"eq": ["vip", 2]}}, True),
        ({"json.items": {"eq": ["vip"]}}, False),
        # ne: no value may equal it; an absent field satisfies it
        ({"query.event": {"ne": "install"}}, False),
        ({"query.event": {"ne": "other"}}, True),
        ({"verdict": {"ne": "valid"}}, True),
        ({"verdict": {"ne": "valid", "exists": True}}, False),
        # in
        ({"event_name": {"in": ["af_purchase", "install"]}}, True),
        ({"event_name": {"in": ["af_purchase"]}}, False),
        ({"json.revenue": {"in": ["1.5", 9]}}, True),
        # contains: substring, or list membership
        ({"path": {"contains": "/net1/"}}, True),
        ({"json.items": {"contains": "vip"}}, True),
        ({"json.items": {"contains": "2"}}, True),
        ({"json.items": {"contains": "vi"}}, False),
        ({"json.revenue": {"contains": "1"}}, False),
        # regex
        ({"query.click_id": {"regex": "^a.c$"}}, True),
        ({"json.revenue": {"regex": r"^1\.5$"}}, True),
        ({"json.items": {"regex": "vip"}}, False),
        ({"header.x-a": {"regex": "^2$"}}, True),
        # numeric comparisons: numeric strings compare as numbers
        ({"json.revenue": {"gt": 1}}, True),
        ({"json.revenue": {"gte": 1.5}}, True),
        ({"json.revenue": {"lt": 1.5}}, False),
        ({"json.revenue": {"lte": 1.5}}, True),
        ({"json.price": {"gte": 0.99}}, True),
        ({"revenue": {"gt": 1.49, "lt": 1.51}}, True),
        ({"currency": {"gt": 0}}, False),
        ({"json.flag": {"gte": 0}}, False),
        ({"header.x-a": {"gt": 1}}, True),
        # exists
        ({"header.x-a": {"exists": True}}, True),
        ({"header.X-a": {"exists": True}}, True),
        ({"header.x-b": {"exists": True}}, False),
        ({"json.n": {"exists": True}}, True),  # present, even if null
        ({"transaction_id": {"exists": False}}, True),
        ({"form.a": {"exists": False}}, True),
        # operators on one field hold for one and the same value
        ({"query.event": {"eq": "x", "regex": "^i"}}, False),
        ({"query.event": {"regex": "^i", "contains": "all"}}, True),
        ({"body": {"contains": '"revenue"'}}, True),
    ],
)
def test_each_operator_on_each_kind_of_field(where: dict[str, Any], expected: bool) -> None:
    assert holds(where) is expected


def test_regex_reads_a_bounded_length_of_the_value() -> None:
    view = capture(body_text="a" * MAX_REGEX_INPUT + "END")
    assert holds({"body": {"regex": "a$"}}, view)
    assert not holds({"body": {"regex": "END"}}, view)


def test_a_condition_on_nothing_at_all_holds_for_every_capture() -> None:
    assert holds({})


def test_differences_name_each_failing_field_with_expected_and_actual() -> None:
    where = parse_assertion(
        {"where": {"method": "GET", "query.event": "af_purchase", "json.revenue": {"gte": 1},
                   "verdict": "valid"}}
    ).where  # fmt: skip
    assert differences(where, capture()) == [
        Difference("method", "GET", "POST"),
        Difference("query.event", "af_purchase", ["install", "x"]),
        Difference("verdict", "valid", None, missing=True),
    ]
    assert Difference("verdict", "valid", None, missing=True).to_dict() == {
        "field": "verdict", "expected": "valid", "actual": None, "missing": True,
    }  # fmt: skip


def assertion(**doc: Any) -> Any:
    return parse_assertion({"channel": "net1", **doc})


@pytest.mark.parametrize(
    "count, matched, ok",
    [
        (None, 0, False),
        (None, 1, True),
        (0, 0, True),
        (0, 1, False),
        (2, 2, True),
        (2, 3, False),
        ({"eq": 1}, 1, True),
        ({"gte": 2}, 1, False),
        ({"lte": 1}, 2, False),
        ({"lte": 1}, 0, True),
        ({"between": [1, 3]}, 3, True),
        ({"between": [1, 3]}, 4, False),
    ],
)
def test_count_forms_decide_whether_it_holds(count: Any, matched: int, ok: bool) -> None:
    doc = {"where": {"event_name": "install"}}
    if count is not None:
        doc["count"] = count
    views = [capture(i) for i in range(1, matched + 1)] + [capture(9, keys={"event_name": "x"})]
    outcome = evaluate(assertion(**doc), views)
    assert (outcome.matched, outcome.ok, holds_now(outcome)) == (matched, ok, ok)


def test_unique_lists_each_repeated_value_with_its_ids() -> None:
    views = [
        capture(1),
        capture(2, query={"click_id": ["def"]}),
        capture(3),
        capture(4, query={"click_id": ["def", "ghi"]}),
        capture(5, query={}),
        capture(6, query={}),  # without the field: not a duplicate of anything
    ]
    outcome = evaluate(assertion(unique="query.click_id"), views)
    assert outcome.matched == 6
    assert not outcome.ok
    assert outcome.duplicates == {"abc": [1, 3], "def": [2, 4]}
    assert outcome.to_dict()["duplicates"] == {"abc": [1, 3], "def": [2, 4]}
    assert "query.click_id repeats" in outcome.message


def test_unique_holds_when_nothing_repeats() -> None:
    views = [capture(1), capture(2, query={"click_id": ["def"]})]
    outcome = evaluate(assertion(unique="query.click_id"), views)
    assert (outcome.ok, outcome.duplicates) == (True, {})


def test_near_misses_are_the_closest_non_matching_captures_newest_first() -> None:
    def miss(i: int, wrong: int) -> dict[str, Any]:
        changes = [("method", "GET"), ("path", "/x"), ("verdict", "bad")][:wrong]
        return capture(i, **dict(changes))

    views = [miss(1, 1), miss(2, 3), miss(3, 2), miss(4, 1), miss(5, 1), miss(6, 1), miss(7, 2)]
    doc = {"where": {"method": "POST", "path": "/pb/net1/install", "verdict": {"ne": "bad"}}}
    outcome = evaluate(assertion(**doc), views)
    assert outcome.matched == 0
    assert [m.id for m in outcome.near_misses] == [6, 5, 4, 1, 7]
    first = outcome.to_dict()["near_misses"][0]
    assert first == {
        "id": 6,
        "received_at": "2026-11-28T10:00:06.000000Z",
        "differences": [{"field": "method", "expected": "POST", "actual": "GET"}],
    }


def test_near_misses_come_from_the_newest_captures_in_scope() -> None:
    views = [capture(i, method="GET") for i in range(1, 21)]
    outcome = evaluate(assertion(where={"method": "POST"}), views, near_miss_window=10)
    assert [m.id for m in outcome.near_misses] == [20, 19, 18, 17, 16]
    outcome = summarize(assertion(where={"method": "POST"}), [], views[:3])
    assert [m.id for m in outcome.near_misses] == [3, 2, 1]


def test_scope_channel_since_id_and_since() -> None:
    views = [capture(1), capture(2, channel="net2"), capture(3), capture(4)]
    assert evaluate(assertion(), views).matched == 3
    assert evaluate(assertion(since_id=3), views).matched == 1
    assert evaluate(assertion(since="2026-11-28T10:00:03Z"), views).matched == 2
    assert evaluate(assertion(since="2026-11-28T11:00:03+01:00"), views).matched == 2
    assert not in_scope(assertion(), capture(2, channel="net2"))


def test_the_answer_body() -> None:
    outcome = evaluate(assertion(where={"event_name": "af_purchase"}, count=1), [capture(1)])
    body = outcome.to_dict()
    assert body["ok"] is False and body["matched"] == 0
    assert body["expected"] == {"count": {"eq": 1}, "text": "exactly 1", "unique": None}
    assert body["duplicates"] == {} and body["matched_ids"] == []
    assert body["near_misses"][0]["differences"] == [
        {"field": "event_name", "expected": "af_purchase", "actual": "install"}
    ]
    assert body["message"] == "fails: 0 matched, expected exactly 1"


def test_the_assertion_echoes_its_normalised_document() -> None:
    doc = {
        "channel": "net1",
        "where": {"json.revenue": {"gte": 0.99}, "method": "GET"},
        "count": {"between": [1, 2]},
        "unique": "query.click_id",
        "since": "2026-11-28T10:00:00Z",
        "since_id": 4,
        "within": 10,
        "during": 2.5,
        "name": "purchase arrives",
    }
    parsed = parse_assertion(doc)
    assert parsed.since == datetime(2026, 11, 28, 10, tzinfo=UTC)
    assert parsed.to_dict() == {**doc, "on": "captures", "since": "2026-11-28T10:00:00.000000Z",
                                "within": 10.0}  # fmt: skip


BAD = [
    ([], "assertion", "expected an object"),
    ({"chanel": "net1"}, "chanel", "unknown key"),
    ({"on": "clicks"}, "on", "expected 'captures' or 'deliveries'"),
    ({"on": ["captures"]}, "on", "expected 'captures'"),
    ({"channel": ""}, "channel", "non-empty text"),
    ({"where": ["method=GET"]}, "where", "expected an object"),
    ({"where": {"nope": 1}}, "where.nope", "unknown field"),
    ({"where": {"json.revenue": {"gte": "x"}}}, "where.json.revenue", "'gte' needs a finite"),
    ({"where": {"json.revenue": {"gte": True}}}, "where.json.revenue", "'gte' needs a finite"),
    ({"where": {"json.revenue": {"gt": 10**400}}}, "where.json.revenue", "'gt' needs a finite"),
    ({"where": {"json.a": {"between": 1}}}, "where.json.a", "unknown operator 'between'"),
    ({"where": {"json.a": {}}}, "where.json.a", "empty operator object"),
    ({"where": {"json.a": [1, 2]}}, "where.json.a", "plain list is ambiguous"),
    ({"where": {"json.a": {"in": []}}}, "where.json.a", "'in' needs a list of 1 to"),
    ({"where": {"json.a": {"in": "a"}}}, "where.json.a", "'in' needs a list"),
    ({"where": {"json.a": {"exists": "yes"}}}, "where.json.a", "'exists' needs true or false"),
    ({"where": {"json.a": {"regex": "("}}}, "where.json.a", "invalid regex"),
    ({"where": {"json.a": {"regex": "a" * 2000}}}, "where.json.a", "at most 1000"),
    ({"where": {"json.a": datetime(2026, 1, 1)}}, "where.json.a", "expected a JSON value"),
    ({"where": {"json.a": float("nan")}}, "where.json.a", "expected a JSON value"),
    ({"count": -1}, "count", "expected a whole number"),
    ({"count": True}, "count", "expected a whole number"),
    ({"count": {"gte": 1, "lte": 3}}, "count", "expected a whole number"),
    ({"count": {"gt": 1}}, "count", "expected one of eq, gte, lte, between"),
    ({"count": {"between": [3, 1]}}, "count", "low <= high"),
    ({"unique": "nope"}, "unique", "unknown field"),
    ({"since": "yesterday"}, "since", "expected an ISO time"),
    ({"since": "0001-01-01T00:00:00+01:00"}, "since", "out of range"),
    ({"since_id": -1}, "since_id", "whole number"),
    ({"within": -1}, "within", "between 0 and 300"),
    ({"within": 301}, "within", "between 0 and 300"),
    ({"during": "5"}, "during", "between 0 and 300"),
]


@pytest.mark.parametrize("doc, part, problem", BAD)
def test_bad_assertions_are_400s_naming_the_bad_part(doc: Any, part: str, problem: str) -> None:
    with pytest.raises(SandboxError) as caught:
        parse_assertion(doc)
    error = caught.value
    assert (error.status, error.code, error.field) == (400, "bad_assertion", part)
    assert problem in error.message and error.message.startswith(part)


def test_the_wait_bounds_are_the_callers_to_choose() -> None:
    assert parse_assertion({"within": 600}, max_within=900).within == 600.0
    with pytest.raises(SandboxError, match="between 0 and 5"):
        parse_assertion({"during": 6}, max_during=5)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=12,
)  # fmt: skip
assertion_like = st.fixed_dictionaries(
    {},
    optional={
        "channel": json_values,
        "where": st.dictionaries(
            st.sampled_from(["method", "json.a", "query.e", "header.x", "nope", "json.", ""])
            | st.text(max_size=10),
            json_values
            | st.dictionaries(st.sampled_from(OPERATORS) | st.text(max_size=4), json_values),
            max_size=3,
        )
        | json_values,
        "count": json_values,
        "unique": json_values,
        "since": json_values | st.datetimes().map(str),
        "since_id": json_values,
        "within": json_values,
        "during": json_values,
        "on": json_values,
    },
)


@given(assertion_like | json_values)
def test_parse_assertion_raises_only_sandbox_errors(doc: Any) -> None:
    try:
        parsed = parse_assertion(doc)
    except SandboxError as error:
        assert (error.status, error.code) == (400, "bad_assertion")
        assert error.field
    else:
        evaluate(parsed, [capture(1)])


class TestWaitJudge:
    def test_within_answers_as_soon_as_it_holds(self) -> None:
        judge = WaitJudge(within=10, during=0)
        assert judge.observe(False, 0) == "wait"
        assert judge.deadline == 10
        assert judge.observe(True, 3.5) == "holds"

    def test_within_fails_when_the_window_closes_not_before(self) -> None:
        judge = WaitJudge(within=10, during=0)
        assert judge.observe(False, 9.99) == "wait"
        assert judge.observe(False, 10) == "fails"

    def test_no_wait_means_one_look(self) -> None:
        assert WaitJudge(within=0, during=0).observe(False, 0) == "fails"
        assert WaitJudge(within=0, during=0).observe(True, 0) == "holds"

    def test_during_must_keep_holding_after_it_first_holds(self) -> None:
        judge = WaitJudge(within=5, during=3)
        assert judge.observe(True, 1) == "wait"
        assert judge.deadline == 4
        assert judge.observe(True, 2) == "wait"
        assert judge.observe(True, 4) == "holds"

    def test_a_duplicate_arriving_during_the_window_fails_it(self) -> None:
        judge = WaitJudge.for_assertion(parse_assertion({"unique": "click_id", "during": 5}))
        views = [capture(1)]
        assert judge.observe(evaluate(parse_assertion({"unique": "click_id"}), views).ok, 0) == (
            "wait"
        )
        views.append(capture(2))
        outcome = evaluate(parse_assertion({"unique": "click_id"}), views)
        assert judge.observe(outcome.ok, 2) == "fails"


def test_the_reference_names_every_operator_and_field_kind() -> None:
    text = DOCS.read_text(encoding="utf-8")
    names = [
        *OPERATORS,
        *CAPTURE_FIELDS.simple,
        *(f"{p}.<key>" for p in CAPTURE_FIELDS.keyed),
        "json.<path>",
        "count",
        "unique",
        "since",
        "since_id",
        "within",
        "during",
        "on",
    ]
    missing = [name for name in names if not re.search(rf"`{re.escape(name)}(?!\w)", text)]
    assert missing == []
