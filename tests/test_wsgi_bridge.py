"""The sandbox's own routes under ASGI: streamed answers, streamed bodies, clients that leave.

The ASGI server is outside the project, so here it is played by plain coroutines; the live
server tests exercise the same bridge under granian.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Iterable
from typing import Any

from sandbox.web.wsgi_bridge import WSGIBridge, build_environ


def scope(path: str = "/api/x", query: bytes = b"", headers: list | None = None) -> dict:
    return {"type": "http", "method": "POST", "path": path, "raw_path": path.encode(),
            "query_string": query, "headers": headers or [], "http_version": "1.1",
            "server": ("127.0.0.1", 8377), "client": ("127.0.0.1", 5000), "scheme": "http"}


def serve(app, messages: list[dict], *, leave_after: int | None = None,
          request_scope: dict | None = None) -> list[dict]:
    """Run one request through the bridge; the client leaves after ``leave_after`` sends."""
    sent: list[dict] = []

    async def main() -> None:
        left = asyncio.Event()
        inbox = list(messages)

        async def receive() -> dict:
            if inbox:
                return inbox.pop(0)
            await left.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)
            if leave_after is not None and len(sent) >= leave_after:
                left.set()

        bridge = WSGIBridge(app, threads=2)
        await asyncio.wait_for(bridge(request_scope or scope(), receive, send), timeout=10)
        bridge.close()

    asyncio.run(main())
    return sent


def body_of(sent: list[dict]) -> bytes:
    return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def test_a_streamed_answer_goes_out_chunk_by_chunk_and_ends():
    def app(environ, start_response) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"one ", b"", b"two"]

    sent = serve(app, [{"type": "http.request", "body": b"", "more_body": False}])
    assert sent[0] == {"type": "http.response.start", "status": 200,
                       "headers": [(b"Content-Type", b"text/plain")]}
    assert body_of(sent) == b"one two"
    assert sent[-1]["more_body"] is False


def test_a_client_that_leaves_ends_an_endless_stream_and_closes_it():
    closed = threading.Event()

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/event-stream")])

        def events():
            try:
                for n in itertools.count():
                    time.sleep(0.01)
                    yield f"data: {n}\n\n".encode()
            finally:
                closed.set()

        return events()

    sent = serve(app, [{"type": "http.request", "body": b"", "more_body": False}], leave_after=3)
    assert closed.is_set()
    assert len(sent) <= 4  # at most the chunk that was in flight when the client left


def test_the_body_reaches_the_app_as_it_was_streamed():
    def app(environ, start_response):
        data = environ["wsgi.input"].read()
        start_response("200 OK", [])
        return [json.dumps({"size": len(data), "tail": data[-3:].decode()}).encode()]

    chunks = [{"type": "http.request", "body": b"x" * 70_000, "more_body": True},
              {"type": "http.request", "body": b"y" * 70_000, "more_body": True},
              {"type": "http.request", "body": b"end", "more_body": False}]
    assert json.loads(body_of(serve(app, chunks))) == {"size": 140_003, "tail": "end"}


def test_an_app_failure_is_a_json_error_not_a_traceback():
    def app(environ, start_response):
        raise RuntimeError("boom")

    sent = serve(app, [{"type": "http.request", "body": b"", "more_body": False}])
    assert sent[0]["status"] == 500
    error = json.loads(body_of(sent))["error"]
    assert error["code"] == "internal_error" and "boom" not in error["message"]


def test_the_environ_keeps_the_raw_path_and_joins_repeated_headers():
    environ: dict[str, Any] = build_environ(
        scope("/api/a/b", b"q=%C3%A9&x=\xe9",
              [(b"x-sig", b"a"), (b"x-sig", b"b"), (b"content-type", b"text/plain")])
        | {"raw_path": b"/api/a%2Fb"}, body=None)
    assert environ["RAW_URI"] == "/api/a%2Fb?q=%C3%A9&x=\xe9"
    assert environ["PATH_INFO"] == "/api/a/b"
    assert environ["QUERY_STRING"] == "q=%C3%A9&x=\xe9"  # bytes as latin-1, as WSGI says
    assert environ["HTTP_X_SIG"] == "a,b"
    assert environ["CONTENT_TYPE"] == "text/plain"
