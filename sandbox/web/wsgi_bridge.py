"""The sandbox's own routes (Flask: API, inspector, long-polls, live streams) under ASGI.

Each request runs the WSGI app on a pool thread, as a threaded WSGI server would; the thread
hands each chunk of the answer to the event loop and waits until it is sent, so a streamed
answer goes out as it is produced and a client that leaves ends the stream (the app's
iterator is closed) instead of leaving a thread writing into the void.

Why not a2wsgi: its queue keeps a streaming thread blocked forever once the client has gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from typing import Any

from sandbox.capture.channels import Answer
from sandbox.errors import SandboxError
from sandbox.web.capture_asgi import (
    Receive,
    Scope,
    Send,
    declared_length,
    scope_headers,
)
from sandbox.web.capture_rules import (
    ReceiverLimits,
    body_incomplete,
    body_timed_out,
    internal_error,
)
from sandbox.web.errors import error_answer

# The ASGI scope itself, for a route that stores the request (web/ingest.py) and so reads
# its head as the capture path does; kept undecoded, since every other route ignores it.
SCOPE_KEY = "sandbox.scope"

log = logging.getLogger("sandbox.web")
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ClientGone(Exception):
    """The client closed the connection while the answer was being sent."""


class Inbox:
    """The one reader of the ASGI receive channel: body chunks for the app's thread, and
    whether the client has gone (granian's ``send`` does not say so; ``receive`` does)."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self.chunks: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=4)  # None: the end
        self.gone = threading.Event()
        self.broken = False  # the body ended without its final message (see read_body)

    async def next_chunk(self, timeout: float) -> bytes | None:
        return await asyncio.wait_for(self.chunks.get(), timeout)

    async def pump(self) -> None:
        reading = True
        while True:
            message = await self._receive()
            if message["type"] != "http.request":
                self.gone.set()
                if reading:
                    self.broken = True
                    await self.chunks.put(None)
                return
            if reading:
                await self.chunks.put(message.get("body", b""))
                reading = bool(message.get("more_body", False))
                if not reading:
                    await self.chunks.put(None)


class RequestBody(io.RawIOBase):
    """``wsgi.input``: the body, read from the app's thread as the client sends it, and ended
    by the bridge (``wsgi.input_terminated``), chunked or not. A body that is cut short, too
    slow or over the limit raises the ``SandboxError`` the app answers with (and /mmp/
    records)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, inbox: Inbox, limits: ReceiverLimits,
                 declared: int | None) -> None:
        self._loop = loop
        self._inbox = inbox
        self._limits = limits
        self._declared = declared
        self._deadline = time.monotonic() + limits.body_timeout
        self._buffer = b""
        self._ended = False
        self._received = 0

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer and not self._ended:
            self._take(self._next_chunk())
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size

    def _next_chunk(self) -> bytes | None:
        remaining = self._deadline - time.monotonic()
        try:
            return _on_loop(self._loop, self._inbox.next_chunk, max(remaining, 0))
        except TimeoutError:
            raise body_timed_out(self._received, self._limits.body_timeout) from None

    def _take(self, chunk: bytes | None) -> None:
        if chunk is None:
            self._ended = True
            if self._inbox.broken:
                raise body_incomplete(self._received, self._declared)
            return
        self._received += len(chunk)
        if self._received > self._limits.max_body:
            raise SandboxError(
                f"body of more than {self._limits.max_body} bytes exceeds the limit of "
                f"{self._limits.max_body} bytes", code="body_too_large", status=413,
                field="body")
        self._buffer = chunk


def _on_loop(loop: asyncio.AbstractEventLoop, function: Callable[..., Awaitable[Any]],
             *args: Any) -> Any:
    """Await ``function(*args)`` on the loop from a pool thread (the server's callables
    return awaitables that need not be coroutines)."""

    async def call() -> Any:
        return await function(*args)

    return asyncio.run_coroutine_threadsafe(call(), loop).result()


def build_environ(scope: Scope, body: Any) -> dict[str, Any]:
    """The WSGI environ of an ASGI request; it also keeps the scope (``SCOPE_KEY``)."""
    path = scope["path"].encode("utf-8").decode("latin-1")
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    query = scope["query_string"]
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query.decode("latin-1"),
        "RAW_URI": (raw_path + (b"?" + query if query else b"")).decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1] or 0),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": client[0] if client else "",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": body,
        "wsgi.input_terminated": True,  # chunked bodies too: werkzeug reads them to the end
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        SCOPE_KEY: scope,
    }
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        key = name if name in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{name}"
        value = raw_value.decode("latin-1")
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


class _Answer:
    """start_response and the chunks, sent through the loop from the app's thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, send: Send, gone: threading.Event) -> None:
        self._loop = loop
        self._send = send
        self._gone = gone
        self._head: dict[str, Any] | None = None
        self.started = False

    def start_response(self, status: str, headers: list[tuple[str, str]],
                       exc_info: Any = None) -> Callable[[bytes], None]:
        if exc_info is not None and self.started:
            raise exc_info[1].with_traceback(exc_info[2])
        self._head = {
            "type": "http.response.start", "status": int(status.split(" ", 1)[0]),
            "headers": [(name.encode("latin-1"), value.encode("latin-1"))
                        for name, value in headers],
        }
        return self.write

    def write(self, chunk: bytes, *, more: bool = True) -> None:
        if not self.started:
            if self._head is None:
                raise RuntimeError("the app sent a body before start_response")
            self.started = True
            self._deliver(self._head)
        if chunk or not more:
            self._deliver({"type": "http.response.body", "body": chunk, "more_body": more})

    def _is_error(self) -> bool:
        return self._head is not None and self._head["status"] >= 400

    def _deliver(self, message: dict[str, Any]) -> None:
        # A broken request body looks to the server like a client that left, yet the client
        # may be waiting for its 400: an error answer (short, never a stream) still goes out.
        if self._gone.is_set() and not self._is_error():
            raise ClientGone("the client closed the connection")
        try:
            _on_loop(self._loop, self._send, message)
        except Exception as exc:  # the server refuses to send: the connection is gone
            raise ClientGone(str(exc)) from exc


class WSGIBridge:
    def __init__(self, app: WSGIApp, *, threads: int, limits: ReceiverLimits | None = None
                 ) -> None:
        self.app = app
        self.limits = limits or ReceiverLimits()
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="sandbox-app")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        loop = asyncio.get_running_loop()
        inbox = Inbox(receive)
        pump = loop.create_task(inbox.pump())
        declared, _ = declared_length(scope_headers(scope))
        body = RequestBody(loop, inbox, self.limits, declared)
        environ = build_environ(scope, io.BufferedReader(body))
        answer = _Answer(loop, send, inbox.gone)
        try:
            await loop.run_in_executor(self.pool, self._run, environ, answer)
        finally:
            pump.cancel()

    def _run(self, environ: dict[str, Any], answer: _Answer) -> None:
        try:
            chunks = self.app(environ, answer.start_response)
            try:
                for chunk in chunks:
                    answer.write(chunk)
                answer.write(b"", more=False)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
        except ClientGone:
            pass
        except SandboxError as exc:  # the body, read outside Flask (the login form)
            self._fail(answer, error_answer(exc))
        except Exception:  # a traceback is logged, never sent
            log.exception("request to %s failed", environ.get("PATH_INFO"))
            self._fail(answer, internal_error())

    @staticmethod
    def _fail(answer: _Answer, failed: Answer) -> None:
        if answer.started:
            return
        status = f"{failed.status} {HTTPStatus(failed.status).phrase}"
        answer.start_response(status, list(failed.headers.items()))
        with contextlib.suppress(ClientGone):
            answer.write((failed.body or "").encode("utf-8"), more=False)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
