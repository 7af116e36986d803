"""Every client-controlled cost is bounded in configuration, answered clearly, and recorded."""

from __future__ import annotations

import gzip
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client

from sandbox.clock import FakeClock
from sandbox.errors import ConfigError
from sandbox.remote.process import RunningServer, start_server
from sandbox.settings import load_settings, parse_duration
from sandbox.store import Store
from sandbox.web.entry import build

LIMITS = {"max_headers": 20, "max_header_bytes": 2048, "max_url": 512, "max_json_depth": 8,
          "max_body": 4096, "max_decoded_body": 8192}


@pytest.fixture
def tight(store: Store, serve, clock: FakeClock, db_path: Path) -> Client:
    settings = load_settings({"db": str(db_path), **LIMITS}, environ={})
    return serve(build(settings, clock=clock, store=store))


def last(client: Client) -> dict[str, Any]:
    return dict(client.get("/api/postbacks?limit=1&reveal=1").json["postbacks"][0])


def assert_refused(client: Client, answer, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status
    assert answer.json["error"]["code"] == code and answer.json["error"]["message"]
    capture = last(client)
    assert capture["refused"].startswith(code)
    assert capture["response"]["status"] == status
    return capture


def test_long_url_is_414_and_recorded(tight: Client):
    answer = tight.get("/pb/net?click_id=" + "x" * 600)
    capture = assert_refused(tight, answer, 414, "uri_too_long")
    assert capture["channel"] == "net" and capture["query"]["click_id"] == ["x" * 600]


def test_too_many_headers_is_431_and_recorded(tight: Client):
    headers = [(f"X-H{i}", "v") for i in range(30)]
    answer = tight.post("/pb/net", headers=headers, data=b"body")
    capture = assert_refused(tight, answer, 431, "too_many_headers")
    assert capture["body"] == ""  # the body is not read once the head is refused


def test_oversized_headers_are_431_and_recorded(tight: Client):
    answer = tight.get("/pb/net", headers={"X-Big": "y" * 3000})
    assert_refused(tight, answer, 431, "headers_too_large")


def test_oversized_body_is_413_and_recorded(tight: Client):
    answer = tight.post("/pb/net", data=b"z" * 5000)
    capture = assert_refused(tight, answer, 413, "body_too_large")
    assert capture["body_size"] == 5000


def test_limits_also_guard_the_sandbox_own_routes(tight: Client):
    assert tight.get("/api/postbacks?q=" + "x" * 600).status_code == 414
    assert tight.get("/api/postbacks", headers={"X-Big": "y" * 3000}).status_code == 431
    assert tight.get("/api/postbacks").json["count"] == 0  # not recorded as captures


def test_json_nesting_depth_is_a_setting(tight: Client):
    deep = json.dumps(json.loads("[" * 9 + "]" * 9))
    tight.post("/pb/net", data=deep, content_type="application/json")
    capture = last(tight)
    assert capture["json"] is None and capture["body_note"] == "not parsed: deeper than 8 levels"
    tight.post("/pb/net", data="[" * 8 + "]" * 8, content_type="application/json")
    assert last(tight)["json"] is not None


def test_gzip_bomb_is_kept_compressed_not_expanded(tight: Client):
    bomb = gzip.compress(b"0" * 100_000)
    assert len(bomb) < 4096
    answer = tight.post("/pb/net", data=bomb, headers={"Content-Encoding": "gzip"})
    assert answer.status_code == 200
    capture = last(tight)
    assert "exceeds the limit of 8192" in capture["body_note"]
    assert len(capture["body_text"]) < 8192


def test_delay_is_bounded(client: Client):
    answer = client.put("/api/channels/slow", json={"answer": {"delay_ms": 600_000}})
    assert answer.status_code == 400 and answer.json["error"]["field"] == "answer.delay_ms"


@pytest.mark.parametrize("name,value", [("max_headers", 0), ("max_header_bytes", -1),
                                        ("max_url", 0), ("max_json_depth", 0),
                                        ("header_timeout", 0.1), ("header_timeout", 600),
                                        ("max_postbacks", -5), ("max_age", "soon"),
                                        ("token", "short")])
def test_bad_limit_settings_name_the_setting(name: str, value: Any):
    with pytest.raises(ConfigError) as caught:
        load_settings({name: value}, environ={})
    assert caught.value.field == name


@pytest.mark.parametrize("text,seconds", [("90", 90), ("90s", 90), ("30m", 1800),
                                          ("12h", 43200), ("7d", 604800), ("2w", 1209600)])
def test_durations(text: str, seconds: float):
    assert parse_duration(text, "max_age") == seconds


def test_limits_come_from_environment_variables():
    settings = load_settings({}, environ={"SANDBOX_MAX_URL": "100", "SANDBOX_MAX_HEADERS": "5",
                                          "SANDBOX_HEADER_TIMEOUT": "2.5"})
    assert (settings.max_url, settings.max_headers, settings.header_timeout) == (100, 5, 2.5)


# --- a real server: granian's own limits and timeouts ---

@pytest.fixture(scope="module")
def limited_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = start_server(tmp_path_factory.mktemp("limits") / "l.db",
                          args=["--header-timeout", "1", "--max-headers", "20", "--workers", "1"])
    yield server
    server.stop()


def _host_port(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


@pytest.mark.slow
def test_slow_client_is_cut_off_after_the_header_timeout(limited_server: RunningServer):
    with socket.create_connection(_host_port(limited_server.url), timeout=10) as sock:
        sock.sendall(b"GET /pb/slow HTTP/1.1\r\nHost: x\r\n")  # never finishes its head
        started = time.monotonic()
        data = sock.recv(1024)
        waited = time.monotonic() - started
    assert waited < 5 and (data == b"" or data.startswith(b"HTTP/1.1 408"))


@pytest.mark.slow
def test_live_431_is_answered_and_recorded(limited_server: RunningServer):
    import httpx
    headers = {f"X-H{i}": "v" for i in range(40)}
    answer = httpx.get(f"{limited_server.url}/pb/live431", headers=headers)
    assert answer.status_code == 431
    stored = httpx.get(f"{limited_server.url}/api/postbacks?channel=live431").json()
    assert stored["count"] == 1 and stored["postbacks"][0]["response"]["status"] == 431
