"""The entry points: sandbox routes go to Flask, every other path is a capture.

``SandboxASGI`` is what the server runs: captures on the worker's event loop
(``capture_asgi.py``), the sandbox's own routes on a thread pool (``wsgi_bridge.py``).
``SandboxWSGI`` is the same app for in-process use (tests, the WSGI test client).

Reserved prefixes (the sandbox's own routes): /api/, /ui/, /static/, /c/, /mmp/, and / itself.
Everything else, /pb/<channel>/... included, goes to the lean receiver. Before the app, the
sandbox's own routes get the same URL and header limits as the receiver (414/431) and the
admin gate (token, login cookie, CSRF: see ``auth.py``).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from sandbox.errors import SandboxError
from sandbox.settings import Settings, load_settings, with_admin_token
from sandbox.web import logs
from sandbox.web.app import create_app
from sandbox.web.auth import LOGIN_PATH, LOGOUT_PATH, AdminGate
from sandbox.web.capture_asgi import AsyncReceiver, Receive, Scope, Send
from sandbox.web.context import SandboxContext
from sandbox.web.receiver import (
    Receiver,
    head_refusal,
    request_headers,
    request_path,
)
from sandbox.web.server import die_with_server
from sandbox.web.wsgi_bridge import WSGIBridge

log = logging.getLogger("sandbox.web")

RESERVED_PREFIXES = ("/api", "/ui", "/static", "/c", "/mmp")
# Threads for the sandbox's own routes: enough for 50+ held long-polls and live streams with
# the API still answering; they start on demand.
APP_THREADS = 128
PING_PATH = "/api/ping"  # answered here, before the app: liveness without the database
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def is_reserved(path: str) -> bool:
    if path.startswith("/pb/"):  # the common case, decided at once
        return False
    if path in ("", "/"):
        return True
    return any(path == p or path.startswith(p + "/") for p in RESERVED_PREFIXES)


class SandboxWSGI:
    def __init__(self, app: Flask) -> None:
        self.app = app
        context: SandboxContext = app.extensions["sandbox"]
        settings = context.settings
        self.limits = context.desk.limits
        self.receiver = Receiver(context.desk)
        self.gate = AdminGate(settings.token, required=settings.requires_token,
                              sessions=context.store.sessions, clock=context.clock)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == PING_PATH and environ.get("REQUEST_METHOD") not in PING_METHODS:
            start_response("405 Method Not Allowed", PING_REFUSED_HEADERS)
            return [PING_REFUSED]
        if path == PING_PATH:
            start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Content-Length", "11")])
            return [b'{"ok":true}']
        if is_reserved(path):
            return self._own_route(path, environ, start_response)
        return self.receiver(environ, start_response)

    def own_route(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """A request to one of the sandbox's own routes (reserved prefixes)."""
        return self._own_route(environ.get("PATH_INFO", ""), environ, start_response)

    def _own_route(
        self, path: str, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        too_big = head_refusal(request_path(environ), environ.get("QUERY_STRING", ""),
                               request_headers(environ), self.limits)
        if too_big is not None:
            return self.receiver.respond(start_response, too_big.answer)
        if path in (LOGIN_PATH, LOGOUT_PATH):
            return self.gate.login(environ, start_response)
        denied = self.gate.check(environ)
        if denied is not None:
            return denied(start_response)
        return self.app.wsgi_app(environ, start_response)


class SandboxASGI:
    """The served app: captures on the event loop, the sandbox's own routes on threads."""

    def __init__(self, wsgi: SandboxWSGI, *, threads: int) -> None:
        self.wsgi = wsgi
        self.captures = AsyncReceiver(wsgi.receiver.desk)
        self.own_routes = WSGIBridge(wsgi.own_route, threads=threads, limits=wsgi.limits)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            path = scope["path"]
            if path == PING_PATH and scope["method"] not in PING_METHODS:
                await send({"type": "http.response.start", "status": 405, "headers": [
                    (name.lower().encode(), value.encode())
                    for name, value in PING_REFUSED_HEADERS]})
                await send({"type": "http.response.body", "body": PING_REFUSED})
            elif path == PING_PATH:
                await send(PING_START)
                await send(PING_BODY)
            elif is_reserved(path):
                await self.own_routes(scope, receive, send)
            else:
                await self.captures(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        else:  # websockets: the sandbox speaks plain HTTP only
            await send({"type": "websocket.close", "code": 1003})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.captures.close()
                self.own_routes.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


PING_START = {"type": "http.response.start", "status": 200,
              "headers": [(b"content-type", b"application/json"), (b"content-length", b"11")]}
PING_BODY = {"type": "http.response.body", "body": b'{"ok":true}'}
PING_METHODS = ("GET", "HEAD")
PING_REFUSED = json.dumps(SandboxError(
    f"{PING_PATH} answers GET and HEAD only", code="method_not_allowed", status=405,
).to_dict()).encode()
PING_REFUSED_HEADERS = [("Content-Type", "application/json"), ("Allow", "GET, HEAD"),
                        ("Content-Length", str(len(PING_REFUSED)))]


def build(settings: Settings, **app_options: Any) -> SandboxWSGI:
    settings, generated = with_admin_token(settings)
    if generated:
        log.warning("admin token for /api and /ui: %s", settings.token)
    return SandboxWSGI(create_app(settings, **app_options))


def _scrub_cgi_variables() -> None:
    # granian builds each WSGI environ on top of os.environ: a variable such as HTTP_PROXY on
    # the machine would otherwise show up as a request header in every capture.
    for name in list(os.environ):
        if name.startswith("HTTP_") or name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            del os.environ[name]


def from_environment() -> SandboxASGI:
    """The worker-process factory: settings come from SANDBOX_* variables set by ``serve``.

    The server process has already applied the config file once; workers do not re-apply it
    (that would restart channel counters each time a worker starts).
    """
    die_with_server()
    _scrub_cgi_variables()
    settings = dataclasses.replace(load_settings(), config=None)
    logs.configure(settings.log_level)
    threads = int(os.environ.get("SANDBOX_THREADS", APP_THREADS))
    app = SandboxASGI(build(settings), threads=threads)
    return app
