"""The one WSGI entry point: sandbox routes go to Flask, every other path is a capture.

Reserved prefixes (the sandbox's own routes): /api/, /ui/, /static/, /c/, /mmp/, and / itself.
Everything else, /pb/<channel>/... included, goes to the lean receiver. Before the app, the
sandbox's own routes get the same URL and header limits as the receiver (414/431) and the
admin gate (token, login cookie, CSRF: see ``auth.py``).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from sandbox import logs
from sandbox.app import create_app
from sandbox.settings import Settings, load_settings, with_admin_token
from sandbox.store.retention import RetentionPolicy
from sandbox.web.auth import LOGIN_PATH, LOGOUT_PATH, AdminGate
from sandbox.web.context import SandboxContext
from sandbox.web.receiver import (
    Receiver,
    ReceiverLimits,
    head_refusal,
    request_headers,
    request_path,
)

log = logging.getLogger("sandbox.web")

RESERVED_PREFIXES = ("/api", "/ui", "/static", "/c", "/mmp")
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
        self.limits = ReceiverLimits.from_settings(settings)
        retention = RetentionPolicy(
            max_postbacks=settings.max_postbacks, max_age_seconds=settings.max_age_seconds
        )
        self.receiver = Receiver(context.store, context.clock, self.limits, retention)
        self.gate = AdminGate(settings.token, required=settings.requires_token)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == PING_PATH:
            start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Content-Length", "11")])
            return [b'{"ok":true}']
        if is_reserved(path):
            return self._own_route(path, environ, start_response)
        return self.receiver(environ, start_response)

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


def from_environment() -> SandboxWSGI:
    """The worker-process factory: settings come from SANDBOX_* variables set by ``serve``.

    The server process has already applied the config file once; workers do not re-apply it
    (that would restart channel counters each time a worker starts).
    """
    _scrub_cgi_variables()
    settings = dataclasses.replace(load_settings(), config=None)
    logs.configure(settings.log_level)
    return build(settings)
