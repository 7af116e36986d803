"""Replay: the same method, headers and body bytes reach the target; failures are reported."""

from __future__ import annotations

import base64

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import Client

from sandbox.capture.replay import REPLAY_HEADER, replay_request
from sandbox.clock import FakeClock
from sandbox.delivery.replay import replay
from sandbox.errors import SandboxError
from tests.delivery_helpers import Answer, ScriptedServer, closed_port_url


def view_for(body: bytes, **overrides) -> dict:
    try:
        text, encoding = body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = base64.b64encode(body).decode("ascii"), "base64"
    view = {
        "id": 5, "channel": "net1", "method": "POST", "path": "/pb/net1/install",
        "query_string": "click_id=a&event=install&event=x",
        "headers": [["Host", "127.0.0.1:1"], ["Content-Type", "application/octet-stream"],
                    ["X-A", "1"], ["X-A", "2"], ["Content-Length", str(len(body))],
                    ["Connection", "keep-alive"]],
        "body": text, "body_encoding": encoding,
    }
    view.update(overrides)
    return view


@pytest.fixture(scope="module")
def target():
    server = ScriptedServer()
    yield server
    server.close()


def test_the_captured_query_is_added_when_the_url_has_none():
    request = replay_request(view_for(b""), "http://example.test/hook")
    assert request.url == "http://example.test/hook?click_id=a&event=install&event=x"
    own = replay_request(view_for(b""), "http://example.test/hook?mine=1")
    assert own.url == "http://example.test/hook?mine=1"


def test_hop_by_hop_headers_go_and_repeats_stay():
    request = replay_request(view_for(b"x"), "http://example.test/")
    names = [name for name, _ in request.headers]
    assert names == ["Content-Type", "X-A", "X-A", REPLAY_HEADER]
    assert dict(request.headers)[REPLAY_HEADER] == "5"


@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_body_bytes_arrive_exactly(target, body):
    target.answer(Answer(202, body="thanks"))
    result = replay(view_for(body), f"{target.url}/hook", clock=FakeClock())
    sent = target.seen[0]
    assert sent.body == body
    assert sent.method == "POST" and sent.path == "/hook"
    assert sent.query == "click_id=a&event=install&event=x"
    assert sent.headers["x-a"] in ("1, 2", "1,2")  # both values, in order (WSGI joins them)
    assert (result.status, result.body, result.error) == (202, "thanks", None)


def test_a_long_answer_is_cut_to_a_snippet(target):
    target.answer(Answer(500, body="e" * 5000))
    result = replay(view_for(b""), f"{target.url}/")
    assert result.status == 500 and len(result.body) == 4096 and result.body_truncated


def test_an_unreachable_target_is_reported_not_raised():
    result = replay(view_for(b""), closed_port_url())
    assert result.status is None
    assert result.error is not None and "Connect" in result.error


@pytest.mark.parametrize("url", ["", "ftp://example.test/", "/relative", "http://", "http://a b/",
                                 None, 12])
def test_a_bad_url_is_refused_naming_the_field(url):
    with pytest.raises(SandboxError) as caught:
        replay_request(view_for(b""), url)
    assert caught.value.field == "url"


def test_replay_api_refuses_a_cross_origin_browser_request(client, served):
    client.get("/pb/net1?click_id=a")
    request = {"json": {"url": "http://127.0.0.1:9/"}, "headers": {"Origin": "http://evil.test"}}
    assert client.post("/api/postbacks/1/replay", **request).status_code == 403
    # The blueprint's own check, behind the app's admin gate (``Gated``), without the gate:
    answer = Client(served.app.wsgi_app.app).post("/api/postbacks/1/replay", **request)
    assert answer.status_code == 403
    assert answer.json["error"]["code"] == "bad_origin"


@pytest.mark.parametrize("document,field", [
    ({}, "url"), ({"url": "nope"}, "url"), ({"url": "http://x.test/", "timeout": 0}, "timeout"),
    ({"url": "http://x.test/", "timeout": 61}, "timeout"),
])
def test_replay_api_names_bad_input(client, document, field):
    client.get("/pb/net1?click_id=a")
    answer = client.post("/api/postbacks/1/replay", json=document)
    assert answer.status_code == 400
    assert answer.json["error"]["field"] == field


def test_replay_api_reports_an_unreachable_target(client):
    client.get("/pb/net1?click_id=a")
    answer = client.post("/api/postbacks/1/replay",
                         json={"url": "http://127.0.0.1:9/x", "timeout": 2})
    assert answer.status_code == 200
    assert answer.json["status"] is None and answer.json["error"]


@pytest.mark.slow
def test_replay_to_the_sandbox_own_receiver_arrives(server):
    binary = b"\x00\xffreplayed\x80"
    httpx.post(f"{server.url}/pb/origin/x?click_id=r1", content=binary,
               headers={"Content-Type": "application/octet-stream", "X-A": "1"})
    first = httpx.get(f"{server.url}/api/postbacks", params={"channel": "origin"}).json()
    capture_id = first["postbacks"][0]["id"]
    answer = httpx.post(f"{server.url}/api/postbacks/{capture_id}/replay",
                        json={"url": f"{server.url}/pb/replayed/y"}, timeout=15).json()
    assert answer["status"] == 200, answer
    copy = httpx.get(f"{server.url}/api/postbacks", params={"channel": "replayed"}).json()
    replayed = copy["postbacks"][0]
    assert replayed["query_string"] == "click_id=r1"
    assert httpx.get(f"{server.url}/api/postbacks/{replayed['id']}/body").content == binary
    headers = {name.lower(): value for name, value in replayed["headers"]}
    assert headers["x-a"] == "1"
    assert headers[REPLAY_HEADER.lower()] == str(capture_id)
