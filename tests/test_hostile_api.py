"""Hostile requests to the sandbox's own routes (issue 15: #7, #8 and part of #10), each
against a real server: open redirects after login, 500s from deep JSON and huge ids, raw
bodies served unmasked, sessions that outlive a logout, /ui/ answers without the CSP."""

from __future__ import annotations

import gzip
import json
import re
import signal
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.names import NAME_PATTERN
from sandbox.remote.process import RunningServer, start_server
from sandbox.web import openapi
from sandbox.web.auth import safe_next
from sandbox.web.page_headers import CONTENT_SECURITY_POLICY
from sandbox.web.request_json import nesting_depth

DEEP = ("[" * 1000 + "]" * 1000).encode()
ORIGIN = "http://127.0.0.1:1/"
TOKEN = "hostile-admin-token-1"


def error_of(answer: httpx.Response, status: int) -> dict:
    """The one error shape, with ``status``: answer its ``error`` object."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "code", "message", "field"}
    assert body["error"]["status"] == status
    return body["error"]


def same_origin(target: str) -> bool:
    """Whether a browser following ``Location: target`` from ORIGIN stays on it (WHATWG URL
    parsing drops tab, CR and LF anywhere and reads a backslash as a slash)."""
    cleaned = target.translate({9: None, 10: None, 13: None}).replace("\\", "/")
    joined = urlsplit(urljoin(ORIGIN, cleaned))
    return (joined.scheme, joined.netloc) == ("http", "127.0.0.1:1")


def login_redirect(server: RunningServer, next_value: str) -> httpx.Response:
    return httpx.get(f"{server.url}/ui/login?next={quote(next_value, safe='')}")


# --- #7: the login redirect stays on this origin ---

@pytest.mark.parametrize("hostile", ["/\t/evil.example/", "/\n/x", "/\r\n/evil.example",
                                     "/\\evil.example", "//evil.example", "/\t\\evil.example",
                                     "https://evil.example/", " /x", "/\x00/x", "/\x7f/x"])
def test_login_redirect_refuses_what_a_browser_reads_as_another_site(server, hostile):
    answer = login_redirect(server, hostile)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/"


def test_login_redirect_keeps_a_local_path(server):
    answer = login_redirect(server, "/ui/postbacks/7?reveal=1")
    assert answer.headers["location"] == "/ui/postbacks/7?reveal=1"
    assert login_redirect(server, "/ui/é x").headers["location"] == "/ui/%C3%A9%20x"


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",))))
def test_any_next_stays_on_the_origin(value):
    target = safe_next(value)
    assert target == "/ui/" or (same_origin(target) and target.startswith("/"))
    target.encode("ascii")  # a Location header the server can send as it is


@settings(max_examples=40, deadline=None)
@given(st.text(st.sampled_from("/\\\t\n\r .:@%?#ae\x00")).map(lambda s: "/" + s))
def test_any_next_stays_on_the_origin_through_the_server(live_server, value):
    answer = login_redirect(live_server, value)
    assert answer.status_code == 303
    assert same_origin(answer.headers["location"])


# --- #8: what answered 500 answers a 4xx in the one error shape, and /mmp/ records it ---

def test_an_id_past_sqlite_range_is_a_400(server):
    huge = "999999999999999999999999999999"
    answer = httpx.get(f"{server.url}/api/assert", params={"channel": "x", "since_id": huge})
    assert error_of(answer, 400)["field"] == "since_id"
    posted = httpx.post(f"{server.url}/api/assert",
                        content=f'{{"channel": "x", "since_id": {huge}}}',
                        headers={"Content-Type": "application/json"})
    assert error_of(posted, 400)["field"] == "since_id"


@pytest.mark.parametrize("method,path", [("POST", "/api/assert"), ("PUT", "/api/channels/x"),
                                         ("POST", "/mmp/v1/installs"),
                                         ("POST", "/mmp/v1/events")])
def test_json_nested_1000_deep_is_a_400(server, method, path):
    answer = httpx.request(method, server.url + path, content=DEEP,
                           headers={"Content-Type": "application/json"})
    error = error_of(answer, 400)
    assert error["code"] == "json_too_deep" and "64 levels" in error["message"]


def test_deep_json_to_the_mmp_is_recorded(server):
    for path in ("/mmp/v1/installs", "/mmp/v1/events"):
        httpx.post(server.url + path, content=DEEP, headers={"Content-Type": "application/json"})
    shown = httpx.get(f"{server.url}/api/postbacks?channel=mmp").json()["postbacks"]
    assert sorted(p["path"] for p in shown) == ["/mmp/v1/events", "/mmp/v1/installs"]
    for capture in shown:
        assert capture["response"]["status"] == 400
        assert capture["refused"].startswith("json_too_deep:")
        assert capture["body_size"] == len(DEEP)


@pytest.mark.parametrize("depth,refused", [(64, False), (65, True)])
def test_json_up_to_the_depth_limit_is_parsed(server, depth, refused):
    body = '{"answer": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"
    answer = httpx.put(f"{server.url}/api/channels/depthnet", content=body,
                       headers={"Content-Type": "application/json"})
    assert (error_of(answer, 400)["code"] == "json_too_deep") is refused


def _json_values() -> st.SearchStrategy[object]:
    scalars = st.none() | st.booleans() | st.integers() | st.text(st.sampled_from('ab"\\[]{}'))
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.text(st.sampled_from('k"[{}]\\'), max_size=3),
                                          inner, max_size=3), max_leaves=30)


def _depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(item) for item in value.values()), default=0)
    return 0


@settings(max_examples=200, deadline=None)
@given(_json_values(), st.booleans())
def test_nesting_depth_counts_brackets_outside_strings(value, spaced):
    text = json.dumps(value, indent=1 if spaced else None)
    assert nesting_depth(text) == _depth(value)


# --- #10: raw bodies masked unless revealed ---

def test_raw_body_is_masked_unless_revealed(server):
    url = server.url
    httpx.put(f"{url}/api/channels/maskednet", json={
        "verification": {"kind": "query_token", "token": "chan-secret-77", "param": "t"}})
    try:
        bodies = [
            ("application/json", json.dumps({"password": "hunter22", "session": 12, "api_key": "ab",
                                             "note": "see chan-secret-77", "click_id": "c1"})),
            ("application/x-www-form-urlencoded", "token=f0rm-t0ken&click_id=c2&secret=x"),
            ("text/plain", "click_id=c3&auth_token=pl41n-t0ken"),
            ("application/json", "[" * 80 + '{"password": "deep-pass-1"}' + "]" * 80),
        ]
        for content_type, body in bodies:
            httpx.post(f"{url}/pb/maskednet?t=chan-secret-77", content=body,
                       headers={"Content-Type": content_type})
        shown = httpx.get(f"{url}/api/postbacks?channel=maskednet&order=asc").json()["postbacks"]
        assert len(shown) == len(bodies)
        for capture, (_, body) in zip(shown, bodies, strict=True):
            masked = httpx.get(f"{url}/api/postbacks/{capture['id']}/body").text
            for secret in ("hunter22", '"ab"', "chan-secret-77", "f0rm-t0ken", "secret=x",
                           "pl41n-t0ken", "deep-pass-1", ": 12"):
                assert secret not in masked, (secret, masked)
            assert "****" in masked
            exact = httpx.get(f"{url}/api/postbacks/{capture['id']}/body?reveal=1")
            assert exact.text == body
        assert json.loads(httpx.get(f"{url}/api/postbacks/{shown[0]['id']}/body").text) == {
            "password": "****", "session": "****", "api_key": "****", "note": "see ****",
            "click_id": "c1"}
    finally:
        httpx.delete(f"{url}/api/channels/maskednet")


def test_raw_body_that_is_not_utf8_keeps_its_bytes_but_the_credentials(server):
    body = b"\xff\xfe token=s3cr3t-b1n&x=1 \x00\x81"
    httpx.post(f"{server.url}/pb/binnet", content=body,
               headers={"Content-Type": "application/octet-stream"})
    capture = httpx.get(f"{server.url}/api/postbacks?channel=binnet").json()["postbacks"][0]
    masked = httpx.get(f"{server.url}/api/postbacks/{capture['id']}/body").content
    assert masked == b"\xff\xfe token=****&x=1 \x00\x81"


def test_raw_body_compressed_is_masked_and_compressed_again(server):
    document = b'{"password": "gz-pass-123", "click_id": "g1"}'
    httpx.post(f"{server.url}/pb/gznet", content=gzip.compress(document),
               headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    capture = httpx.get(f"{server.url}/api/postbacks?channel=gznet").json()["postbacks"][0]
    masked = httpx.get(f"{server.url}/api/postbacks/{capture['id']}/body").content
    assert gzip.decompress(masked) == b'{"password": "****", "click_id": "g1"}'
    exact = httpx.get(f"{server.url}/api/postbacks/{capture['id']}/body?reveal=1").content
    assert gzip.decompress(exact) == document


# --- #10: every answer under /ui/ carries the CSP ---

@pytest.mark.parametrize("path", ["/ui/no-such-page", "/ui/postbacks/999999", "/ui/login",
                                  "/ui/postbacks/not-an-id", "/ui/"])
def test_every_ui_answer_carries_the_csp(server, path):
    answer = httpx.get(server.url + path)
    assert answer.headers.get("content-security-policy") == CONTENT_SECURITY_POLICY, (
        answer.status_code)
    assert answer.headers["x-content-type-options"] == "nosniff"


# --- #10: sessions end at logout, on every worker, and with the token ---

@pytest.fixture
def token_db(tmp_path: Path) -> Path:
    return tmp_path / "sessions.db"


@pytest.fixture
def token_server(token_db: Path) -> Iterator[RunningServer]:
    server = start_server(token_db, args=["--token", TOKEN])
    yield server
    server.stop(signal.SIGINT)


def _log_in(url: str, token: str = TOKEN) -> str:
    answer = httpx.post(f"{url}/ui/login", data={"token": token, "next": "/ui/"})
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and TOKEN not in cookie
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    return answer.cookies["sandbox_session"]


def _with(cookie: str) -> dict[str, str]:
    return {"Cookie": f"sandbox_session={cookie}"}


def test_logout_ends_the_session_on_every_worker(token_server):
    url = token_server.url
    cookie = _log_in(url)
    other = _log_in(url)
    for _ in range(6):  # two workers: several requests reach both
        assert httpx.get(f"{url}/api/postbacks", headers=_with(cookie)).status_code == 200
    logout = httpx.post(f"{url}/ui/logout", headers={**_with(cookie), "Origin": url})
    assert logout.status_code == 303 and "Max-Age=0" in logout.headers["set-cookie"]
    for _ in range(6):
        refused = httpx.get(f"{url}/api/postbacks", headers=_with(cookie))
        assert error_of(refused, 401)["code"] == "unauthorized"
        assert httpx.get(f"{url}/ui/", headers=_with(cookie)).status_code == 303
    assert httpx.get(f"{url}/api/postbacks", headers=_with(other)).status_code == 200


def test_a_forged_cookie_opens_nothing(token_server):
    for forged in ("x", "a" * 5000, "sandbox_session", ""):
        assert httpx.get(f"{token_server.url}/api/postbacks",
                         headers=_with(forged)).status_code == 401


def test_a_new_token_ends_old_sessions(token_server, token_db):
    cookie = _log_in(token_server.url)
    token_server.stop(signal.SIGINT)
    restarted = start_server(token_db, args=["--token", "another-token-22"])
    try:
        answer = httpx.get(f"{restarted.url}/api/postbacks", headers=_with(cookie))
        assert answer.status_code == 401
        fresh = _log_in(restarted.url, "another-token-22")
        assert httpx.get(f"{restarted.url}/api/postbacks", headers=_with(fresh)
                         ).status_code == 200
    finally:
        restarted.stop(signal.SIGINT)


# --- #10: the OpenAPI document states what the API enforces ---

def test_ping_answers_get_and_head_only(server):
    assert httpx.get(f"{server.url}/api/ping").json() == {"ok": True}
    assert httpx.head(f"{server.url}/api/ping").status_code == 200
    for method in ("TRACE", "POST", "DELETE"):
        answer = httpx.request(method, f"{server.url}/api/ping")
        assert error_of(answer, 405)["code"] == "method_not_allowed"
        assert answer.headers["allow"] == "GET, HEAD"


def _documented_name_patterns() -> set[str]:
    return {parameter["schema"].get("pattern")
            for item in openapi.document()["paths"].values() for operation in item.values()
            for parameter in operation.get("parameters", []) if parameter["name"] == "name"}


@settings(max_examples=60, deadline=None)
@given(st.text(st.sampled_from("aZ09._-/ %é\\"), max_size=70))
def test_documented_name_pattern_is_the_one_enforced(live_server, name):
    assert _documented_name_patterns() == {NAME_PATTERN}
    if name in (".", ".."):  # a client folds these path segments away: never a reachable name
        assert re.fullmatch(NAME_PATTERN, name) is None
        return
    answer = httpx.get(f"{live_server.url}/api/channels/{quote(name, safe='')}")
    documented = re.fullmatch(NAME_PATTERN, name) is not None
    if answer.status_code != 404 or documented:  # a name with "/" may match no route at all
        assert (answer.status_code == 200) is documented, (name, answer.text)
