"""Bodies that do not arrive whole, chunked bodies on the sandbox's own routes, and the limits
the HTTP server (granian) enforces before the sandbox sees a request.

Raw sockets against a real server: HTTP clients refuse to send most of these requests. Each
limit the server enforces itself is asserted as documented in SECURITY.md (answer, nothing
recorded), so the document cannot drift from what the server does.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.errors import ConfigError
from sandbox.remote.process import RunningServer, start_server
from sandbox.settings import SERVER_MAX_HEADERS, SERVER_MAX_URI, load_settings
from sandbox.web.capture_asgi import read_body
from sandbox.web.capture_rules import ReceiverLimits
from sandbox.web.server import http1_buffer_size

BODY_TIMEOUT = 1
MAX_BODY = 4096
INSTALL = json.dumps({"platform": "ios",
                      "device": {"idfv": "6D92078A-8246-4BA4-AE5B-76104861E7DC"}}).encode()


@pytest.fixture(scope="module")
def framing_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = start_server(tmp_path_factory.mktemp("framing") / "f.db", args=[
        "--body-timeout", str(BODY_TIMEOUT), "--header-timeout", "1",
        "--max-body", str(MAX_BODY), "--workers", "1"])
    yield server
    server.stop()


def exchange(server: RunningServer, *parts: bytes, pause: float = 0.0,
             half_close: bool = False, wait: float = 5.0) -> bytes:
    """Send ``parts`` (``pause`` seconds apart) on one connection; answer what came back
    before the server closed it (b"" when it closed without a word)."""
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=wait) as sock:
        for part in parts:
            try:
                sock.sendall(part)
            except OSError:  # the server answered and closed before the client finished
                break
            time.sleep(pause)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        return received


def head(path: str, *headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: x", "Connection: close", *headers, "", ""]
    return "\r\n".join(lines).encode("latin-1")


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def error_code(answer: bytes) -> str:
    return str(json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]["code"])


def captures(server: RunningServer, channel: str) -> list[dict[str, Any]]:
    found = httpx.get(f"{server.url}/api/postbacks",
                      params={"channel": channel, "reveal": "1"}).json()
    return list(found["postbacks"])


def only_capture(server: RunningServer, channel: str) -> dict[str, Any]:
    found = captures(server, channel)
    assert len(found) == 1, found
    return found[0]


def raw_body(server: RunningServer, capture: dict[str, Any]) -> bytes:
    return httpx.get(f"{server.url}/api/postbacks/{capture['id']}/body",
                     params={"reveal": "1"}).content


CHUNKED = "Transfer-Encoding: chunked"


# --- #3: a body that did not arrive whole is refused and recorded with why ---

@pytest.mark.parametrize(("name", "wire", "kept"), [
    ("badsize", b"zz\r\nhello\r\n0\r\n\r\n", b""),
    ("garbage", b"5\r\nhello\r\nGARBAGE\r\n0\r\n\r\n", b"hello"),
    ("overrun", b"5\r\nhelloXX\r\n0\r\n\r\n", b"hello"),
])
def test_broken_chunked_framing_is_400_and_recorded_as_incomplete(
        framing_server: RunningServer, name: str, wire: bytes, kept: bytes):
    channel = f"chunk-{name}"
    answer = exchange(framing_server, head(f"/pb/{channel}", CHUNKED) + wire)
    assert status_of(answer) == 400 and error_code(answer) == "body_incomplete"
    capture = only_capture(framing_server, channel)
    assert capture["refused"].startswith(f"body_incomplete: chunked body broken off after "
                                         f"{len(kept)} bytes")
    assert capture["response"]["status"] == 400
    assert raw_body(framing_server, capture) == kept


def test_a_whole_chunked_body_is_still_taken(framing_server: RunningServer):
    wire = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    answer = exchange(framing_server, head("/pb/chunk-ok", CHUNKED) + wire)
    assert status_of(answer) == 200
    capture = only_capture(framing_server, "chunk-ok")
    assert capture["refused"] is None and raw_body(framing_server, capture) == b"hello world"


def test_a_short_content_length_body_is_400_and_recorded(framing_server: RunningServer):
    answer = exchange(framing_server, head("/pb/short", "Content-Length: 100") + b"abc",
                      half_close=True)
    assert status_of(answer) == 400 and error_code(answer) == "body_incomplete"
    capture = only_capture(framing_server, "short")
    assert capture["refused"] == ("body_incomplete: received 3 of 100 bytes before the "
                                  "connection ended")
    assert raw_body(framing_server, capture) == b"abc"


def test_a_client_that_leaves_mid_body_is_recorded_as_incomplete(
        framing_server: RunningServer):
    host, port = framing_server.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(head("/pb/left", CHUNKED) + b"5\r\nhello\r\n10\r\nabc")
    capture = eventually(lambda: captures(framing_server, "left"))[0]
    assert capture["refused"].startswith("body_incomplete: chunked body broken off after 8")
    assert raw_body(framing_server, capture) == b"helloabc"


@pytest.mark.parametrize(("name", "first", "dribble"), [
    ("dribble", CHUNKED, [b"1\r\na\r\n"] * 4),  # slower than the timeout allows, in total
    ("stalled", "Content-Length: 100", [b"abc"]),  # stops sending and keeps the connection
])
def test_a_body_slower_than_the_body_timeout_is_408_and_recorded(
        framing_server: RunningServer, name: str, first: str, dribble: list[bytes]):
    started = time.monotonic()
    answer = exchange(framing_server, head(f"/pb/{name}", first), *dribble, pause=0.4)
    assert time.monotonic() - started < BODY_TIMEOUT + 2
    assert status_of(answer) == 408 and error_code(answer) == "body_timeout"
    capture = only_capture(framing_server, name)
    kept = raw_body(framing_server, capture)
    assert capture["refused"] == (f"body_timeout: body not received whole within "
                                  f"{BODY_TIMEOUT} s (--body-timeout); {len(kept)} bytes arrived")
    assert capture["response"]["status"] == 408 and kept in (b"a", b"aa", b"aaa", b"abc")


def test_captures_go_on_while_a_body_dribbles(framing_server: RunningServer):
    """The body timeout waits on the event loop without blocking it."""
    host, port = framing_server.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as slow:
        slow.sendall(head("/pb/slowpoke", "Content-Length: 10") + b"a")
        started = time.monotonic()
        assert httpx.post(f"{framing_server.url}/pb/meanwhile", content=b"x").status_code == 200
        assert time.monotonic() - started < 0.5


# --- #4: chunked bodies reach the sandbox's own (Flask) routes ---

def test_a_chunked_install_is_created_and_recorded_whole(framing_server: RunningServer):
    def chunks() -> Iterator[bytes]:  # a generator body: httpx sends it chunked
        yield INSTALL[:10]
        yield INSTALL[10:]

    answer = httpx.post(f"{framing_server.url}/mmp/v1/installs", content=chunks(),
                        headers={"Content-Type": "application/json"})
    assert answer.status_code == 201, answer.text
    capture = next(c for c in captures(framing_server, "mmp")
                   if c["response"]["status"] == 201)
    assert raw_body(framing_server, capture) == INSTALL


@pytest.mark.parametrize(("wire", "status", "code"), [
    (b"zz\r\n", 400, "body_incomplete"),
    (b"%x\r\n%s\r\n0\r\n\r\n" % (MAX_BODY + 1, b"x" * (MAX_BODY + 1)), 413,
     "body_too_large"),
])
def test_a_bad_chunked_body_to_an_own_route_is_refused_and_recorded(
        framing_server: RunningServer, wire: bytes, status: int, code: str):
    before = {c["id"] for c in captures(framing_server, "mmp")}
    answer = exchange(framing_server, head("/mmp/v1/installs", CHUNKED,
                                           "Content-Type: application/json") + wire)
    assert status_of(answer) == status and error_code(answer) == code
    new = [c for c in captures(framing_server, "mmp") if c["id"] not in before]
    assert len(new) == 1 and new[0]["refused"].startswith(f"{code}: ")


def test_a_dribbling_body_to_an_own_route_is_408(framing_server: RunningServer):
    answer = exchange(framing_server, head("/api/assert", CHUNKED,
                                           "Content-Type: application/json"),
                      *[b"1\r\n{\r\n"] * 4, pause=0.4)
    assert status_of(answer) == 408 and error_code(answer) == "body_timeout"


# --- #6: the server's own limits sit above the sandbox's, or are documented as unrecorded ---

def header_lines(count: int, value: str = "v") -> list[str]:
    return [f"X-H{i}: {value}" for i in range(count - 3)]  # + Host, Connection, Content-Length


def test_too_many_headers_below_the_server_limit_are_431_and_recorded(
        framing_server: RunningServer):
    answer = exchange(framing_server, head("/pb/hdrcount", *header_lines(80),
                                           "Content-Length: 0"))
    assert status_of(answer) == 431 and error_code(answer) == "too_many_headers"
    assert only_capture(framing_server, "hdrcount")["refused"].startswith("too_many_headers:")


def test_over_the_server_header_count_granian_answers_431_unrecorded(
        framing_server: RunningServer):
    answer = exchange(framing_server, head("/pb/hdrserver",
                                           *header_lines(SERVER_MAX_HEADERS + 1),
                                           "Content-Length: 0"))
    assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    assert answer.endswith(b"\r\n\r\n")  # no body: not the sandbox's answer
    assert captures(framing_server, "hdrserver") == []


@pytest.mark.parametrize(("length", "recorded"), [(20_000, True), (SERVER_MAX_URI - 100, True),
                                                  (SERVER_MAX_URI + 2, False)])
def test_long_urls(framing_server: RunningServer, length: int, recorded: bool):
    channel = f"url{length}"
    target = f"/pb/{channel}?q=".encode()
    target += b"a" * (length - len(target))
    answer = exchange(framing_server, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n"
                      b"Connection: close\r\n\r\n")
    assert status_of(answer) == 414
    if recorded:
        assert error_code(answer) == "uri_too_long"
        assert only_capture(framing_server, channel)["refused"].startswith("uri_too_long:")
    else:
        assert answer.startswith(b"HTTP/1.1 414 URI Too Long\r\n")
        assert captures(framing_server, channel) == []


def test_large_headers_up_to_the_server_buffer_are_431_and_recorded(
        framing_server: RunningServer):
    answer = exchange(framing_server, head("/pb/hdrbytes", *header_lines(40, "v" * 8000),
                                           "Content-Length: 0"))
    assert status_of(answer) == 431 and error_code(answer) == "headers_too_large"
    assert only_capture(framing_server, "hdrbytes")["refused"].startswith("headers_too_large:")


def test_headers_over_the_server_buffer_granian_answers_431_unrecorded(
        framing_server: RunningServer):
    buffer = http1_buffer_size(load_settings({}, environ={}))
    value = "v" * (2 * buffer // 50)
    answer = exchange(framing_server, head("/pb/hdrhuge", *header_lines(50, value),
                                           "Content-Length: 0"))
    assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    assert captures(framing_server, "hdrhuge") == []


@pytest.mark.parametrize(("name", "line"), [
    ("utf8path", b"GET /pb/utf8path/\xff\xfe HTTP/1.1"),
    ("utf8query", b"GET /pb/utf8query?a=\xff HTTP/1.1"),
    ("nulpath", b"GET /pb/nulpath/\x00 HTTP/1.1"),
])
def test_a_malformed_request_line_granian_answers_400_unrecorded(
        framing_server: RunningServer, name: str, line: bytes):
    answer = exchange(framing_server, line + b"\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n") and answer.endswith(b"\r\n\r\n")
    assert captures(framing_server, name) == []


def test_invalid_utf8_in_a_header_value_reaches_the_sandbox(framing_server: RunningServer):
    answer = exchange(framing_server, head("/pb/utf8hdr", "Content-Length: 0")[:-2]
                      + b"X-Odd: \xff\xfe\r\n\r\n")
    assert status_of(answer) == 200
    assert only_capture(framing_server, "utf8hdr")["refused"] is None


def test_a_head_slower_than_the_header_timeout_is_dropped_unanswered_and_unrecorded(
        framing_server: RunningServer):
    started = time.monotonic()
    answer = exchange(framing_server, b"GET /pb/slowhead HTTP/1.1\r\nHost: x\r\n")
    assert answer == b"" and time.monotonic() - started < 3
    assert captures(framing_server, "slowhead") == []


@pytest.mark.parametrize(("name", "value"), [("max_headers", SERVER_MAX_HEADERS),
                                             ("max_headers", 300),
                                             ("max_url", SERVER_MAX_URI)])
def test_a_limit_the_server_would_enforce_first_is_a_config_error(name: str, value: int):
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value}, environ={})


def test_serve_refuses_max_headers_300_with_exit_2(tmp_path: Path):
    serve = subprocess.Popen([sys.executable, "-m", "sandbox", "serve", "--port", "0", "--db",
                              str(tmp_path / "x.db"), "--max-headers", "300"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
    try:
        _, stderr = serve.communicate(timeout=30)
    finally:  # had it started serving, its workers go too
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.communicate()
    assert serve.returncode == 2 and "max_headers" in stderr


# --- read_body against any split of a body, whole or cut ---

@given(body=st.binary(max_size=300), cuts=st.lists(st.integers(0, 300), max_size=6),
       whole=st.booleans(), chunked=st.booleans())
def test_read_body_keeps_what_arrived_and_says_whether_it_was_whole(
        body: bytes, cuts: list[int], whole: bool, chunked: bool):
    points = sorted({0, len(body), *(c for c in cuts if c <= len(body))})
    messages = [{"type": "http.request", "body": body[a:b], "more_body": True}
                for a, b in zip(points, points[1:], strict=False)]
    messages.append({"type": "http.request", "body": b"", "more_body": False} if whole
                    else {"type": "http.disconnect"})

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    declared = None if chunked else len(body) + (0 if whole else 1)
    read = asyncio.run(read_body(receive, declared, ReceiverLimits(max_body=1000)))
    assert read.data == body and read.size == len(body) and not read.too_large
    assert (read.cut is None) == whole
    if not whole:
        assert read.cut is not None and read.cut.code == "body_incomplete"


def eventually(probe: Any, timeout: float = 3.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("not seen in time")
