"""The entry point: the one app the server runs, in process as well as served.

``SandboxASGI`` takes every request: /api/ping answered at once; the sandbox's own routes
(the prefixes of ``paths.py``, its one table, and / itself) checked against the same URL
and header limits as captures (414/431), then handed to the Flask app on a thread pool
(``wsgi_bridge.py``; the app carries the admin gate, see ``auth.py``); every other path,
/pb/<channel>/... above all, is a capture, taken on the event loop (``capture_asgi.py``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from typing import Any

from flask import Flask

from sandbox.errors import SandboxError
from sandbox.settings import Settings, load_settings, with_admin_token
from sandbox.web import logs
from sandbox.web.app import create_app
from sandbox.web.capture_asgi import (
    AsyncReceiver,
    Receive,
    Scope,
    Send,
    respond,
    scope_headers,
    scope_path,
)
from sandbox.web.capture_rules import head_refusal, text_of
from sandbox.web.context import SandboxContext
from sandbox.web.errors import error_answer
from sandbox.web.paths import PING_PATH, is_own_route
from sandbox.web.server import die_with_server
from sandbox.web.wsgi_bridge import WSGIBridge

log = logging.getLogger("sandbox.web")

# Threads for the sandbox's own routes: enough for 50+ held long-polls and live streams with
# the API still answering; they start on demand.
APP_THREADS = 128


class SandboxASGI:
    """The sandbox: captures on the event loop, its own routes on threads."""

    def __init__(self, app: Flask, *, threads: int = APP_THREADS) -> None:
        self.app = app
        context: SandboxContext = app.extensions["sandbox"]
        self.limits = context.desk.limits
        self.captures = AsyncReceiver(context.desk)
        self.own_routes = WSGIBridge(app, threads=threads, limits=self.limits)

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
            elif is_own_route(path):
                await self._own_route(scope, receive, send)
            else:
                await self.captures(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        else:  # websockets: the sandbox speaks plain HTTP only
            await send({"type": "websocket.close", "code": 1003})

    async def _own_route(self, scope: Scope, receive: Receive, send: Send) -> None:
        too_big = head_refusal(scope_path(scope), text_of(scope["query_string"]),
                               scope_headers(scope), self.limits)
        if too_big is not None:
            await respond(send, scope["method"], too_big.answer, too_big.answer.body or "")
        else:
            await self.own_routes(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.captures.start(asyncio.get_running_loop())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def close(self) -> None:
        self.captures.close()
        self.own_routes.close()


PING_START = {"type": "http.response.start", "status": 200,
              "headers": [(b"content-type", b"application/json"), (b"content-length", b"11")]}
PING_BODY = {"type": "http.response.body", "body": b'{"ok":true}'}
PING_METHODS = ("GET", "HEAD")
PING_REFUSED = (error_answer(SandboxError(
    f"{PING_PATH} answers GET and HEAD only", code="method_not_allowed", status=405,
)).body or "").encode()
PING_REFUSED_HEADERS = [("Content-Type", "application/json"), ("Allow", "GET, HEAD"),
                        ("Content-Length", str(len(PING_REFUSED)))]


def build(settings: Settings, *, threads: int = APP_THREADS, **app_options: Any) -> SandboxASGI:
    settings, generated = with_admin_token(settings)
    if generated:
        log.warning("admin token for /api and /ui: %s", settings.token)
    return SandboxASGI(create_app(settings, **app_options), threads=threads)


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
    return build(settings, threads=threads)
