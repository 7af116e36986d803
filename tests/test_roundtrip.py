"""Property: any body bytes and any query string HTTP allows come back byte-identical."""

from __future__ import annotations

import http.client
import json
import socket
from urllib.parse import urlsplit

from hypothesis import given
from hypothesis import strategies as st

from sandbox.remote.process import RunningServer

# RFC 3986 query characters: unreserved, sub-delims, ":" "@" "/" "?", and percent-encodings.
QUERY_CHARS = st.sampled_from(
    list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/?")
)
PERCENT = st.integers(0, 255).map(lambda b: f"%{b:02X}")
QUERIES = st.lists(st.one_of(QUERY_CHARS, PERCENT), max_size=80).map("".join)


def exchange(server: RunningServer, method: str, target: str, body: bytes = b"",
             headers: dict | None = None) -> tuple[int, bytes]:
    """One raw HTTP/1.1 exchange, the request line sent exactly as written, in one write."""
    parts = urlsplit(server.url)
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close",
             f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in (headers or {}).items())]
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body)
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        return answer.status, answer.read()


@given(body=st.binary(max_size=4096), query=QUERIES)
def test_body_and_query_round_trip_exactly(live_server: RunningServer, body: bytes, query: str):
    target = "/pb/roundtrip" + (f"?{query}" if query else "")
    status, answer = exchange(live_server, "POST", target, body,
                              {"Content-Type": "application/octet-stream"})
    assert status == 200
    capture_id = json.loads(answer)["id"]
    status, view = exchange(live_server, "GET", f"/api/postbacks/{capture_id}")
    assert json.loads(view)["query_string"] == query
    status, raw = exchange(live_server, "GET", f"/api/postbacks/{capture_id}/body?reveal=1")
    assert raw == body
