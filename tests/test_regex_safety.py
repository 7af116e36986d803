"""User regexes run on RE2: no pattern stalls a worker, refused constructs get a named 400, the
answers agree with Python's ``re.search``, and Python-side scans stop at their time budget."""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.clock import FakeClock
from sandbox.errors import SandboxError, ScenarioError
from sandbox.query.assertions import check
from sandbox.query.listing import page, parse_query
from sandbox.query.matchers import parse_assertion
from sandbox.query.user_regex import MAX_REGEX_INPUT, compile_user_regex
from tests.scenario_helpers import build

NESTED = "(a+)+$"  # Python's re backtracks 2^n times on "a" * n + "!"
EVIL_VALUE = "a" * 30 + "!"


def store_evil_captures(url: str, channel: str, count: int = 5) -> None:
    with httpx.Client(base_url=url, timeout=5) as client:
        for _ in range(count):
            assert client.get(f"/pb/{channel}", params={"x": EVIL_VALUE}).status_code == 200


def timed_get(url: str, path: str, **params: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    answer = httpx.get(url + path, params=params, timeout=3)  # old code: a timeout, not a hang
    return answer, time.monotonic() - started


# --- against a real server ---------------------------------------------------------------------


def test_nested_quantifier_in_a_listing_filter_answers_at_once(server) -> None:
    store_evil_captures(server.url, "redos")
    answer, took = timed_get(server.url, "/api/postbacks", channel="redos",
                             where=f"query.x~{NESTED}")
    assert answer.status_code == 200 and answer.json()["count"] == 0
    assert took < 1.0
    answer, _ = timed_get(server.url, "/api/postbacks", channel="redos", where="query.x~^a+!$")
    assert answer.json()["count"] == 5


def test_nested_quantifier_in_an_assertion_answers_at_once(server) -> None:
    store_evil_captures(server.url, "redos-assert")
    answer, took = timed_get(server.url, "/api/assert", channel="redos-assert",
                             where=f"query.x~{NESTED}", count="0")
    assert answer.status_code == 200, answer.text
    assert answer.json()["ok"] is True and took < 1.0
    posted = httpx.post(f"{server.url}/api/assert", timeout=3, json={
        "channel": "redos-assert", "where": {"query.x": {"regex": "^(a|aa)+!$"}}, "count": 5})
    assert posted.status_code == 200, posted.text


def test_captures_are_answered_while_regex_queries_run(server) -> None:
    store_evil_captures(server.url, "redos-busy", count=20)
    path = (f"/api/postbacks?channel=redos-busy&where=query.x~{quote('(a+)+$')}"
            f"&where=path~{quote('(.*.*)*z')}")
    failures: list[BaseException] = []

    def query() -> None:
        try:
            for _ in range(5):
                assert httpx.get(server.url + path, timeout=3).status_code == 200
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    workers = [threading.Thread(target=query) for _ in range(2)]
    for worker in workers:
        worker.start()
    slowest = 0.0
    for index in range(10):
        started = time.monotonic()
        answer = httpx.get(f"{server.url}/pb/redos-live?n={index}", timeout=3)
        slowest = max(slowest, time.monotonic() - started)
        assert answer.status_code == 200
    for worker in workers:
        worker.join(10)
    assert not failures, failures
    assert slowest < 1.0


REFUSED = [
    (r"(a)\1", "backreference \\1"),
    ("(?=a)", "lookahead (?=...)"),
    ("(?<=a)b", "lookbehind (?<=...)"),
    ("(?P<n>a)(?P=n)", "named backreference"),
    ("a++", "possessive"),
    (r"\pL{1,100}", "compiles to more than 1 MiB"),
]


@pytest.mark.parametrize("pattern, named", REFUSED)
def test_a_pattern_re2_refuses_is_a_400_naming_the_construct(server, pattern, named) -> None:
    listing = httpx.get(f"{server.url}/api/postbacks", params={"where": f"query.x~{pattern}"})
    posted = httpx.post(f"{server.url}/api/assert",
                        json={"where": {"query.x": {"regex": pattern}}})
    for answer in (listing, posted):
        assert answer.status_code == 400, answer.text
        error = answer.json()["error"]
        assert set(error) == {"status", "code", "message", "field"}
        assert error["status"] == 400 and error["code"] == "bad_assertion"
        assert error["field"] == "where.query.x"
        assert named in error["message"]


def test_a_pattern_longer_than_the_limit_is_refused(server) -> None:
    answer = httpx.post(f"{server.url}/api/assert",
                        json={"where": {"query.x": {"regex": "a" * 1001}}})
    assert answer.status_code == 400
    assert "at most 1000 characters" in answer.json()["error"]["message"]


# --- agreement with Python's re ----------------------------------------------------------------

ATOMS = ["a", "b", "A", "é", "1", " ", "-", ".", "[ab]", "[^a]", "[a-c]", r"\d", r"\s", r"\.",
         r"\u00e9"]
QUANTIFIERS = ["", "", "*", "+", "?", "{1,2}", "{2}", "*?", "+?"]


@st.composite
def safe_patterns(draw: st.DrawFn, depth: int = 0) -> str:
    """A pattern both engines read alike: atoms, classes, groups, alternation and quantifiers,
    with ^ at the start and $ or \\Z only at the end."""
    pieces = []
    for _ in range(draw(st.integers(1, 4))):
        if depth < 2 and draw(st.integers(0, 4)) == 0:
            inner = draw(st.lists(safe_patterns(depth + 1), min_size=1, max_size=3))
            atom = "(" + draw(st.sampled_from(["", "?:"])) + "|".join(inner) + ")"
        else:
            atom = draw(st.sampled_from(ATOMS))
        pieces.append(atom + draw(st.sampled_from(QUANTIFIERS)))
    body = "".join(pieces)
    if depth:
        return body
    flags = draw(st.sampled_from(["", "(?i)", "(?s)", "(?m)"]))
    return flags + draw(st.sampled_from(["", "^"])) + body + draw(st.sampled_from(["", "$", r"\Z"]))


texts = st.text(alphabet="abAé1 -.\nB", max_size=12)


@given(pattern=safe_patterns(), text=texts)
def test_re2_agrees_with_python_re_on_the_safe_subset(pattern: str, text: str) -> None:
    user = compile_user_regex(pattern, field="where.x")
    assert user.search(text) == (re.search(pattern, text) is not None), (pattern, text)


@given(pattern=safe_patterns(), text=st.text(max_size=12))
def test_any_text_searches_without_error(pattern: str, text: str) -> None:
    assert compile_user_regex(pattern, field="where.x").search(text) in (True, False)


def test_a_lone_surrogate_in_a_value_is_searched_not_refused() -> None:
    value = json.loads('"x\\ud800y"')  # JSON allows a lone surrogate
    assert compile_user_regex("^x.y$", field="json.a").search(value)
    assert not compile_user_regex("z", field="json.a").search(value)


@pytest.mark.parametrize("pattern, text, python, ours", [
    (r"\w", "é", True, False),  # classes are ASCII: \pL for Unicode letters
    (r"\d", "\u0663", True, False),  # ... and \p{Nd} for Unicode digits
    (r"^\pL+$", "été", None, True),
    (r"a\z", "a", None, True),  # RE2's spelling of \Z is accepted too
    ("a$", "a\n", True, True),  # $ before a final newline, as in Python
    (r"a\Z", "a\n", False, False),
])
def test_documented_differences_and_likenesses(pattern, text, python, ours) -> None:
    if python is not None:
        assert (re.search(pattern, text) is not None) is python
    assert compile_user_regex(pattern, field="where.x").search(text) is ours


def test_a_value_is_read_up_to_the_input_limit() -> None:
    user = compile_user_regex("END", field="body")
    assert not user.search("a" * MAX_REGEX_INPUT + "END")
    assert user.search("a" * (MAX_REGEX_INPUT - 3) + "END")


def test_a_huge_value_with_a_nested_quantifier_is_linear() -> None:
    user = compile_user_regex(NESTED, field="body")
    started = time.monotonic()
    assert not user.search("a" * (MAX_REGEX_INPUT - 1) + "!")
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize("written", [None, 5, ["a"]])
def test_a_pattern_that_is_not_text_is_refused(written: object) -> None:
    with pytest.raises(SandboxError) as caught:
        compile_user_regex(written, field="where.x")
    assert caught.value.status == 400 and caught.value.field == "where.x"


# --- the time budget of a Python-side scan -----------------------------------------------------


class TickingClock(FakeClock):
    """Every look at the clock finds it ``step`` seconds later."""

    def __init__(self, step: float) -> None:
        super().__init__()
        self.step = step

    def monotonic(self) -> float:
        self.advance(self.step)
        return super().monotonic()


def test_an_assertion_that_runs_out_of_scan_time_says_it_is_incomplete(client, store) -> None:
    for index in range(40):
        assert client.get(f"/pb/budget?x=a{index}").status_code == 200
    assertion = parse_assertion({"channel": "budget", "where": {"query.x": {"regex": "^a"}},
                                 "count": {"gte": 1}, "within": 30})
    result = check(store, assertion, TickingClock(step=0.5), scan_seconds=5)
    body = result.to_dict()
    assert body["ok"] is False
    assert body["incomplete"].startswith("stopped after 5 s, having checked ")
    assert 0 < body["matched"] < 40
    assert "incomplete" in body["message"]
    assert result.waited < 30  # an incomplete look ends the wait
    complete = check(store, assertion, FakeClock(), scan_seconds=5).to_dict()
    assert complete["ok"] is True and complete["matched"] == 40
    assert complete["incomplete"] is None


def test_a_listing_page_that_runs_out_of_scan_time_hands_back_a_cursor(client, store) -> None:
    for index in range(40):
        assert client.get(f"/pb/budget-page?x=b{index}").status_code == 200
    query = parse_query({"channel": "budget-page"}, where=["query.x~^a"])
    answer = page(store, query, clock=TickingClock(step=1.0))
    assert answer["count"] == 0 and answer["next_cursor"] is not None
    assert page(store, query, clock=FakeClock())["next_cursor"] is None


def test_a_scenario_expectation_with_a_refused_pattern_stops_the_run_before_it_sends() -> None:
    """Refused when the file is loaded (validate, --dry-run and run alike), with its place."""
    with pytest.raises(ScenarioError) as caught:
        build(expect=[{"where": {"query.click_id": {"regex": "(?!x)"}}, "count": 1}])
    assert 'expect[0].where["query.click_id"]: invalid regex' in caught.value.message
    assert "negative lookahead (?!...)" in caught.value.message
