"""The served app in process: ``SandboxASGI``, the app the server runs, on an event loop in a
thread, with werkzeug's test client in front (its request building, cookies, redirects and
``TestResponse``).

werkzeug's client speaks WSGI, so each request is built by its ``EnvironBuilder`` and handed
to the ASGI app as the server would: method, raw path, query string, the headers as they
were given (repeated ones apart, names as written) and the body. Only the transport is
not granian's; the tests against a real server (``server`` fixture) cover that.
"""

from __future__ import annotations

import asyncio
import threading
from http import HTTPStatus
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.test import Client, EnvironBuilder, TestResponse

from sandbox.web.entry import SandboxASGI

HEADERS_KEY = "tests.served.headers"  # the headers as given, carried beside the environ
TIMEOUT = 60.0


class ServedApp:
    """``SandboxASGI`` on its own loop, started as the server starts it (lifespan)."""

    def __init__(self, asgi: SandboxASGI) -> None:
        self.asgi = asgi
        self.app = asgi.app
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="served-loop",
                                        daemon=True)
        self._thread.start()
        self._lifespan: asyncio.Queue[dict[str, Any]] | None = None
        self._run(self._start())

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(TIMEOUT)

    async def _start(self) -> None:
        self._lifespan = asyncio.Queue()
        started = asyncio.Event()

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "lifespan.startup.complete":
                started.set()

        await self._lifespan.put({"type": "lifespan.startup"})
        self._lifespan_task = asyncio.ensure_future(
            self.asgi({"type": "lifespan"}, self._lifespan.get, send))
        await started.wait()

    def close(self) -> None:
        async def stop() -> None:
            assert self._lifespan is not None
            await self._lifespan.put({"type": "lifespan.shutdown"})
            await self._lifespan_task

        self._run(stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        """A WSGI callable for werkzeug's client: the request goes through the ASGI app."""
        status, headers, body = self._run(self._exchange(environ))
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [body]

    async def _exchange(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]],
                                                                 bytes]:
        body = environ["wsgi.input"].read()
        done = asyncio.Event()
        sent = False
        answer: dict[str, Any] = {"status": 500, "headers": [], "body": []}

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()  # the client stays until the answer is whole
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["headers"] = [(name.decode("latin-1"), value.decode("latin-1"))
                                     for name, value in message.get("headers", [])]
            elif message["type"] == "http.response.body":
                answer["body"].append(message.get("body", b""))
                if not message.get("more_body", False):
                    done.set()

        await self.asgi(scope_of(environ), receive, send)
        done.set()
        return answer["status"], answer["headers"], b"".join(answer["body"])


def scope_of(environ: dict[str, Any]) -> dict[str, Any]:
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ["PATH_INFO"]
    raw_path = raw_uri.split("?", 1)[0].encode("latin-1")
    headers = list(environ.get(HEADERS_KEY) or [])
    given = {name.lower() for name, _ in headers}
    for key, name in (("CONTENT_TYPE", "content-type"), ("CONTENT_LENGTH", "content-length"),
                      ("HTTP_HOST", "host"), ("HTTP_COOKIE", "cookie")):
        if environ.get(key) and name not in given:
            headers.append((name, environ[key]))
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
        "method": environ["REQUEST_METHOD"], "scheme": environ.get("wsgi.url_scheme", "http"),
        "path": environ["PATH_INFO"].encode("latin-1").decode("utf-8", "replace"),
        "raw_path": raw_path, "query_string": environ.get("QUERY_STRING", "").encode("latin-1"),
        "root_path": "",
        "headers": [(name.lower().encode("latin-1"), value.encode("utf-8"))
                    for name, value in headers],
        "client": (environ.get("REMOTE_ADDR") or "127.0.0.1", 50000),
        "server": (environ.get("SERVER_NAME", "localhost"), int(environ.get("SERVER_PORT", 80))),
    }


class ServedClient(Client):
    """werkzeug's test client whose requests keep their headers as given."""

    def open(self, *args: Any, buffered: bool = False, follow_redirects: bool = False,
             **kwargs: Any) -> TestResponse:
        if kwargs or len(args) != 1 or not isinstance(args[0], EnvironBuilder | dict):
            builder = EnvironBuilder(*args, **kwargs)
            try:
                given = Headers(builder.headers)
                builder.environ_overrides = {**(builder.environ_overrides or {}),
                                             HEADERS_KEY: list(given.items())}
                return super().open(builder, buffered=buffered,
                                    follow_redirects=follow_redirects)
            finally:
                builder.close()
        return super().open(*args, buffered=buffered, follow_redirects=follow_redirects)
