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
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sandbox.web.capture_asgi import Receive, Scope, Send
from sandbox.web.capture_rules import internal_error

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

    async def pump(self) -> None:
        reading = True
        while True:
            message = await self._receive()
            if message["type"] != "http.request":
                self.gone.set()
                if reading:
                    await self.chunks.put(None)
                return
            if reading:
                await self.chunks.put(message.get("body", b""))
                reading = bool(message.get("more_body", False))
                if not reading:
                    await self.chunks.put(None)


class RequestBody(io.RawIOBase):
    """``wsgi.input``: the body, read from the app's thread as the client sends it."""

    def __init__(self, loop: asyncio.AbstractEventLoop, inbox: Inbox) -> None:
        self._loop = loop
        self._inbox = inbox
        self._buffer = b""
        self._ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer and not self._ended:
            chunk = _on_loop(self._loop, self._inbox.chunks.get)
            if chunk is None:
                self._ended = True
            else:
                self._buffer = chunk
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


def _on_loop(loop: asyncio.AbstractEventLoop, function: Callable[..., Awaitable[Any]],
             *args: Any) -> Any:
    """Await ``function(*args)`` on the loop from a pool thread (the server's callables
    return awaitables that need not be coroutines)."""

    async def call() -> Any:
        return await function(*args)

    return asyncio.run_coroutine_threadsafe(call(), loop).result()


def build_environ(scope: Scope, body: Any) -> dict[str, Any]:
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
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
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

    def _deliver(self, message: dict[str, Any]) -> None:
        if self._gone.is_set():
            raise ClientGone("the client closed the connection")
        try:
            _on_loop(self._loop, self._send, message)
        except Exception as exc:  # the server refuses to send: the connection is gone
            raise ClientGone(str(exc)) from exc


class WSGIBridge:
    def __init__(self, app: WSGIApp, *, threads: int) -> None:
        self.app = app
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="sandbox-app")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        loop = asyncio.get_running_loop()
        inbox = Inbox(receive)
        pump = loop.create_task(inbox.pump())
        environ = build_environ(scope, io.BufferedReader(RequestBody(loop, inbox)))
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
        except Exception:  # a traceback is logged, never sent
            log.exception("request to %s failed", environ.get("PATH_INFO"))
            if not answer.started:
                failed = internal_error()
                answer.start_response("500 Internal Server Error", list(failed.headers.items()))
                with contextlib.suppress(ClientGone):
                    answer.write((failed.body or "").encode("utf-8"), more=False)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
