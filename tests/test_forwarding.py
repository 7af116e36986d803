"""Tee mode: a channel forwards each capture to another URL and stores the upstream answer;
a forwarded request is marked and never forwarded again (loop guard)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from sandbox.capture.forwarding import FORWARD_MARKER, ForwardSettings, parse_forward, target_url
from sandbox.capture.record import InboundRequest
from sandbox.errors import SandboxError


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def timeline(url: str, click_id: str) -> list[dict]:
    answer = httpx.get(f"{url}/api/timeline/{click_id}")
    assert answer.status_code == 200, answer.text
    return [e["capture"] for e in answer.json()["entries"] if e["kind"] == "capture"]


def test_a_forwarding_channel_tees_to_upstream_and_stores_its_answer(server):
    tee, upstream, click_id = name("tee"), name("up"), name("c")
    httpx.put(f"{server.url}/api/channels/{upstream}",
              json={"answer": {"status": 202, "body": "upstream-ok"}}).raise_for_status()
    answer = httpx.put(f"{server.url}/api/channels/{tee}", json={
        "forward": {"url": f"{server.url}/pb/{upstream}", "timeout_ms": 5000}})
    assert answer.json()["forward"] == {"url": f"{server.url}/pb/{upstream}",
                                        "timeout_ms": 5000}
    sent = httpx.post(f"{server.url}/pb/{tee}/install?click_id={click_id}",
                      json={"revenue": 1}, headers={"X-Partner": "p1"})
    assert sent.status_code == 200  # the channel's own answer, not upstream's
    captures = timeline(server.url, click_id)
    by_channel = {c["channel"]: c for c in captures}
    assert set(by_channel) == {tee, upstream}
    forwarded = httpx.get(f"{server.url}{by_channel[upstream]['url']}").json()
    assert forwarded["path"] == f"/pb/{upstream}/install"
    assert forwarded["json"] == {"revenue": 1}
    headers = {k.lower(): v for k, v in forwarded["headers"]}
    assert headers["x-partner"] == "p1" and headers[FORWARD_MARKER.lower()] == "1"
    upstream_answer = by_channel[tee]["forward"]
    assert upstream_answer["status"] == 202 and upstream_answer["body"] == "upstream-ok"
    assert upstream_answer["url"] == f"{server.url}/pb/{upstream}/install?click_id={click_id}"
    assert by_channel[upstream]["forward"] is None  # upstream itself does not forward


def test_a_channel_forwarding_to_itself_stops_after_one_hop(server):
    loop, click_id = name("loop"), name("c")
    httpx.put(f"{server.url}/api/channels/{loop}",
              json={"forward": {"url": f"{server.url}/pb/{loop}"}}).raise_for_status()
    httpx.get(f"{server.url}/pb/{loop}?click_id={click_id}").raise_for_status()
    first, second = timeline(server.url, click_id)
    assert first["forward"]["status"] == 200
    assert "loop guard" in second["forward"]["error"]
    assert second["forward"]["status"] is None


def test_a_slow_upstream_is_cut_at_the_timeout(server):
    tee, slow, click_id = name("tee"), name("slow"), name("c")
    httpx.put(f"{server.url}/api/channels/{slow}",
              json={"answer": {"delay_ms": 3000}}).raise_for_status()
    httpx.put(f"{server.url}/api/channels/{tee}", json={
        "forward": {"url": f"{server.url}/pb/{slow}", "timeout_ms": 200}}).raise_for_status()
    answer = httpx.get(f"{server.url}/pb/{tee}?click_id={click_id}", timeout=10)
    assert answer.status_code == 200
    assert answer.elapsed.total_seconds() < 2
    tee_capture = next(c for c in timeline(server.url, click_id) if c["channel"] == tee)
    assert tee_capture["forward"]["error"] == "timed out after 200 ms"


def test_an_unreachable_upstream_is_recorded_not_raised(server):
    tee, click_id = name("tee"), name("c")
    httpx.put(f"{server.url}/api/channels/{tee}", json={
        "forward": {"url": "http://127.0.0.1:9/hook", "timeout_ms": 1000}}).raise_for_status()
    assert httpx.get(f"{server.url}/pb/{tee}?click_id={click_id}").status_code == 200
    [capture] = timeline(server.url, click_id)
    assert capture["forward"]["status"] is None and capture["forward"]["error"]


@pytest.mark.parametrize("raw,field", [
    ("http://x", "forward"),
    ({"url": "ftp://x"}, "forward.url"),
    ({"url": "http://x/hook?a=1"}, "forward.url"),
    ({"url": "http://x", "timeout_ms": 0}, "forward.timeout_ms"),
    ({"url": "http://x", "timeout_ms": True}, "forward.timeout_ms"),
    ({"url": "http://x", "retries": 2}, "forward.retries"),
])
def test_forward_settings_are_validated(raw, field):
    with pytest.raises(SandboxError) as caught:
        parse_forward(raw)
    assert caught.value.field == field


def test_channel_put_refuses_bad_forward_settings(client):
    answer = client.put("/api/channels/net1", json={"forward": {"url": "nope"}})
    assert answer.status_code == 400
    assert answer.json["error"]["field"] == "forward.url"


@pytest.mark.parametrize("path,query,expected", [
    ("/pb/net1/install", "a=1", "https://up.example/hook/install?a=1"),
    ("/pb/net1", "", "https://up.example/hook"),
    ("/other/path", "x=y", "https://up.example/hook/other/path?x=y"),
])
def test_the_forward_url_takes_the_place_of_the_channel_prefix(path, query, expected):
    request = InboundRequest("GET", path, query, [], b"", None, "", 0, channel="net1")
    assert target_url(ForwardSettings("https://up.example/hook"), request) == expected
