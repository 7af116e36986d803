"""The SQL pushdown plus the residual selects exactly what the pure matcher selects."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sandbox.query.fields import EXTRACTED_KEYS
from sandbox.query.matchers import in_scope, matches, parse_assertion
from sandbox.query.sql_conditions import TRUE, translate_assertion, translate_where
from sandbox.store import Store
from sandbox.store.numbers import SQL_FUNCTIONS
from tests.conftest import BACKENDS

# Exactly the columns of the captures table described in the capture view reference.
CREATE_CAPTURES = """
CREATE TABLE captures (
    id INTEGER PRIMARY KEY, channel TEXT, method TEXT, path TEXT, query_string TEXT,
    query_json TEXT, headers_json TEXT, body BLOB, decoded_body BLOB, form_json TEXT,
    json_body TEXT, received_at TEXT, verdict TEXT, click_id TEXT, event_name TEXT,
    transaction_id TEXT, device_id TEXT, revenue TEXT, currency TEXT
)
"""
TIMES = ["2026-11-28T09:59:59.999999Z", "2026-11-28T10:00:00.000000Z", "2026-11-28T10:00:01Z"]
JSON_KEYS = ["a", "b", "n", "a.b", "é", 'q"', "", "items"]
QUERY_KEYS = ["event", "click_id", "a b", 'q"']
HEADER_NAMES = ["X-A", "x-a", "K", "\u212a", "Content-Type"]
TEXTS = ["", "x", "abc", "1", "1.5", "1.50", "-2", "1e3", " 1", ".5", "true", "null", "ABC", "a_%"]

# Mostly values from a small pool, so conditions and captures meet often.
texts = st.integers(0, 4).flatmap(
    lambda pick: st.text(max_size=4) if pick == 0 else st.sampled_from(TEXTS)
)
numbers = (
    st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([0, 1, 1.5, -2, 1000, 0.1])
)
scalars = st.none() | st.booleans() | numbers | texts
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(JSON_KEYS), inner),
    max_leaves=8,
)
multi = st.dictionaries(st.sampled_from(QUERY_KEYS), st.lists(texts, min_size=1, max_size=3))


@st.composite
def views(draw: Any) -> list[dict[str, Any]]:
    made = []
    for capture_id in range(1, draw(st.integers(1, 6)) + 1):
        made.append(
            {
                "id": capture_id,
                "channel": draw(st.sampled_from(["net1", "net2"])),
                "method": draw(st.sampled_from(["GET", "POST"])),
                "path": draw(st.sampled_from(["/pb/net1", "/pb/x"])),
                "query": draw(multi),
                "headers": draw(
                    st.lists(st.tuples(st.sampled_from(HEADER_NAMES), texts).map(list), max_size=3)
                ),
                "form": draw(st.none() | multi),
                "json": draw(st.none() | json_values),
                "body_text": "",
                "received_at": draw(st.sampled_from(TIMES)),
                "keys": {key: draw(st.none() | texts) for key in EXTRACTED_KEYS},
                "verdict": draw(st.none() | st.sampled_from(["valid", "invalid"])),
            }
        )
    return made


FIELD_GROUPS = {
    "columns": ["method", "path", "channel", "verdict", *EXTRACTED_KEYS],
    "query": ["query.event", "query.click_id", 'query."a b"', 'query."q\\""', "form.event"],
    "headers": ["header.x-a", "header.k", "header.content-type"],
    "json": ["json.a", "json.n", "json.a.b", 'json."a.b"', "json.items", "json.items[0]",
             "json[0]", "json[1].a", 'json."é"', 'json."q\\""', 'json.""'],
}  # fmt: skip
OPERAND = {
    "eq": scalars,
    "ne": scalars,
    "contains": scalars,
    "in": st.lists(scalars, min_size=1, max_size=3),
    "regex": st.sampled_from(["^a", "1", "^$", "x|1", "^-?[0-9]"]),
    "gt": numbers,
    "gte": numbers,
    "lt": numbers,
    "lte": numbers,
    "exists": st.booleans(),
}
operator_objects = st.dictionaries(
    st.sampled_from(sorted(OPERAND)), st.just(None), min_size=1, max_size=2
).flatmap(lambda ops: st.fixed_dictionaries({op: OPERAND[op] for op in ops}))
# one_of would flatten the operator objects into one branch among many scalar ones.
conditions = st.integers(0, 3).flatmap(lambda pick: scalars if pick == 0 else operator_objects)


def wheres(names: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(names), conditions, min_size=1, max_size=2)


def _database(captures: list[dict[str, Any]], *, ensure_ascii: bool,
              conn: Any = None) -> Any:
    """The captures in a table: a new SQLite one in memory, or ``conn``'s (PostgreSQL),
    emptied first."""
    postgres = conn is not None
    if conn is None:
        conn = sqlite3.connect(":memory:")
        for name, (nargs, function) in SQL_FUNCTIONS.items():
            conn.create_function(name, nargs, function, deterministic=True)
        conn.execute(CREATE_CAPTURES)
    else:
        conn.execute("DELETE FROM captures")
    for view in captures:
        body = view["json"]
        row = {
            "id": view["id"],
            "channel": view["channel"],
            "method": view["method"],
            "path": view["path"],
            "query_string": "",
            "query_json": json.dumps(view["query"], ensure_ascii=ensure_ascii),
            "headers_json": json.dumps(view["headers"], ensure_ascii=ensure_ascii),
            "body": b"",
            "decoded_body": None,
            "form_json": None if view["form"] is None else json.dumps(view["form"]),
            "json_body": None if body is None else json.dumps(body, ensure_ascii=ensure_ascii),
            "received_at": view["received_at"],
            "verdict": view["verdict"],
            **view["keys"],
        }
        if postgres:  # the store's own table: its other required columns
            row.update(body_size=0, response_status=200)
        names = ", ".join(row)
        conn.execute(f"INSERT INTO captures ({names}) VALUES ({', '.join('?' * len(row))})",
                     tuple(row.values()))  # fmt: skip
    return conn


def _assert_agree(
    captures: list[dict[str, Any]], doc: dict[str, Any], *, ensure_ascii: bool,
    conn: Any = None,
) -> None:
    assertion = parse_assertion({key: value for key, value in doc.items() if value is not None})
    expected = [v["id"] for v in captures if in_scope(assertion, v) and matches(assertion.where, v)]

    sql = translate_assertion(assertion)
    conn = _database(captures, ensure_ascii=ensure_ascii, conn=conn)
    selected = [row[0] for row in conn.execute(
        f"SELECT id FROM captures WHERE {sql.clause} ORDER BY id", sql.params
    )]  # fmt: skip
    by_id = {view["id"]: view for view in captures}
    got = [capture_id for capture_id in selected if matches(sql.residual, by_id[capture_id])]
    assert got == expected


def _rarely(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """None three times in four: a scope that excludes most captures hides disagreements."""
    return st.integers(0, 3).flatmap(lambda pick: strategy if pick == 0 else st.none())


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[Any]:
    """None for SQLite (a database per example), or a PostgreSQL store's connection (its
    captures table emptied per example): the clause must select the same on both."""
    if request.param == "sqlite":
        yield None
        return
    store = Store(request.getfixturevalue("postgres_url"))
    yield store.connection()
    store.close()


def _storable_everywhere(captures: list[dict[str, Any]], backend: Any) -> bool:
    """PostgreSQL reads U+0000 in stored JSON as U+FFFD (store/pg_schema.py): such captures
    are compared on SQLite only."""
    return backend is None or "\\u0000" not in json.dumps(captures)


@pytest.mark.parametrize("group", sorted(FIELD_GROUPS))
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
          deadline=None)
@given(
    data=st.data(),
    captures=views(),
    channel=_rarely(st.sampled_from(["net1", "net2"])),
    since_id=_rarely(st.integers(0, 5)),
    since=_rarely(st.sampled_from(["2026-11-28T10:00:00Z", "2026-11-28T09:00:00+00:00"])),
    ensure_ascii=st.booleans(),
)
def test_pushdown_and_residual_select_what_the_pure_matcher_selects(
    backend: Any,
    group: str,
    data: st.DataObject,
    captures: list[dict[str, Any]],
    channel: str | None,
    since_id: int | None,
    since: str | None,
    ensure_ascii: bool,
) -> None:
    assume(_storable_everywhere(captures, backend))
    where = data.draw(wheres(FIELD_GROUPS[group]), label="where")
    doc = {"channel": channel, "where": where, "since_id": since_id, "since": since}
    _assert_agree(captures, doc, ensure_ascii=ensure_ascii, conn=backend)


def _capture(capture_id: int, **changes: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": capture_id, "channel": "net1", "method": "GET", "path": "/pb/net1",
        "query": {}, "headers": [], "form": None, "json": None, "body_text": "",
        "received_at": TIMES[1], "keys": dict.fromkeys(EXTRACTED_KEYS), "verdict": None,
    }  # fmt: skip
    view.update(changes)
    return view


REVENUE = dict.fromkeys(EXTRACTED_KEYS)
TRICKY = {
    "ne holds on an absent column": ({"verdict": {"ne": "valid"}}, {}, True),
    "ne holds on an absent JSON path": ({"json.a": {"ne": 1}}, {"json": {"b": 1}}, True),
    "ne on a repeated key: no value may equal": (
        {"query.event": {"ne": "x"}}, {"query": {"event": ["x", "y"]}}, False),
    "operators hold together for one value": (
        {"query.event": {"eq": "x", "regex": "1"}}, {"query": {"event": ["x", "1"]}}, False),
    "operators hold together, SQL side": (
        {"query.event": {"eq": "x", "lt": 2}}, {"query": {"event": ["x", "1"]}}, False),
    "header names ignore ASCII case only": (
        {"header.k": {"exists": True}}, {"headers": [["\u212a", "1"], ["X-K", "2"]]}, False),
    "header names ignore ASCII case": (
        {"header.x-k": "2"}, {"headers": [["\u212a", "1"], ["X-K", "2"]]}, True),
    "contains is case-sensitive and literal": (
        {"query.event": {"contains": "a_%"}}, {"query": {"event": ["A_%b", "xa_c"]}}, False),
    "numeric strings compare as numbers": (
        {"revenue": {"gte": 1.5}}, {"keys": {**REVENUE, "revenue": "1.50"}}, True),
    "a non-numeric string never compares": (
        {"revenue": {"lt": 5}}, {"keys": {**REVENUE, "revenue": "12abc"}}, False),
    "a numeric text value equals a JSON number": ({"json.a": "1.50"}, {"json": {"a": 1.5}}, True),
    "two strings compare exactly": ({"json.a": "1.50"}, {"json": {"a": "1.5"}}, False),
    "true and null compare with their text": (
        {"json.a": "true", "json.b": None}, {"json": {"a": True, "b": "null"}}, True),
    "contains looks into JSON lists": (
        {"json.a": {"contains": 2}}, {"json": {"a": ["2", 3]}}, True),
    "a dotted key is not a path": (
        {'json."a.b"': 1}, {"json": {"a.b": 1, "a": {"b": 2}}}, True),
}  # fmt: skip


@pytest.mark.parametrize("where, changes, first_matches", TRICKY.values(), ids=list(TRICKY))
def test_tricky_cases_agree(
    backend: Any, where: dict[str, Any], changes: dict[str, Any], first_matches: bool
) -> None:
    captures = [_capture(1, **changes), _capture(2)]
    assert matches(parse_assertion({"where": where}).where, captures[0]) is first_matches
    _assert_agree(captures, {"where": where}, ensure_ascii=False, conn=backend)


PUSHED = [
    {"event_name": "install"},
    {"json.revenue": {"gte": 0.99}},
    {"query.event": {"in": ["a", "b"]}},
    {"header.x-signature": {"exists": True}},
    {"verdict": {"ne": "valid"}},
    {"json.items": {"contains": "vip"}},
]


@pytest.mark.parametrize("where", PUSHED)
def test_indexed_and_json_conditions_are_pushed_down_whole(where: dict[str, Any]) -> None:
    sql = translate_where(parse_assertion({"where": where}).where)
    assert sql.residual == ()
    assert sql.clause != TRUE


@pytest.mark.parametrize(
    "where",
    [
        {"body": {"contains": "x"}},
        {"query.event": {"regex": "^a"}},
        {"json.a": {"eq": {"b": 1}}},
        {'json."a\\"b"': 1},
        {'json."é"': 1},
    ],
)
def test_what_sql_cannot_judge_is_left_to_the_pure_matcher(where: dict[str, Any]) -> None:
    sql = translate_where(parse_assertion({"where": where}).where)
    assert sql.clause == TRUE
    assert [c.field.name for c in sql.residual] == list(where)


def test_user_text_never_reaches_the_sql_text() -> None:
    hostile = "x'); DROP TABLE captures; --"
    where = {
        f'query."{hostile}"': hostile,
        f"header.{hostile.replace(' ', '').replace(';', '')}": {"contains": hostile},
        "json.a": {"in": [hostile, 1]},
        "event_name": hostile,
    }
    sql = translate_assertion(parse_assertion({"channel": hostile, "where": where}))
    assert "DROP" not in sql.clause and "x'" not in sql.clause
    assert hostile in sql.params


def test_the_event_lookup_uses_the_index() -> None:
    conn = _database([], ensure_ascii=False)
    conn.execute("CREATE INDEX captures_event ON captures (event_name, channel)")
    sql = translate_assertion(
        parse_assertion({"channel": "net1", "where": {"event_name": "af_purchase"}})
    )
    plan = " ".join(
        str(row[-1])
        for row in conn.execute(f"EXPLAIN QUERY PLAN SELECT count(*) FROM captures "
                                f"WHERE {sql.clause}", sql.params)
    )  # fmt: skip
    assert "captures_event" in plan
