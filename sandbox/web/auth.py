"""The admin gate in front of /api/ and /ui/: token, login cookie, and CSRF checks.

When the sandbox is bound beyond 127.0.0.1 (or given ``--token``), /api/ (except /api/health
and /api/ping) and /ui/ need ``Authorization: Bearer <token>`` or the session cookie that
``/ui/login`` sets. The receiver, /c/, /mmp/ and /static/ stay open. The cookie holds a
random session id that ``/ui/logout`` ends on every worker (``sessions.py``). Which paths
are guarded is said once, in ``paths.py``.

CSRF: a state-changing request (not GET/HEAD/OPTIONS) to /api/ or /ui/ is refused when the
browser says it came from another site (``Sec-Fetch-Site: cross-site``/``same-site`` or an
``Origin`` whose host is not ours), whether or not a token is configured: a page on another
localhost port is "same-site" and could otherwise clear captures. A request authenticated
only by the cookie must also show it came from our own pages (``Origin`` or
``Sec-Fetch-Site: same-origin``). Bearer-token clients (curl, CI) send neither and pass.
"""

from __future__ import annotations

import hmac
import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from sandbox.clock import Clock
from sandbox.errors import ConfigError, SandboxError
from sandbox.store.sessions import SessionRepository
from sandbox.web.errors import error_answer
from sandbox.web.page_headers import PAGE_HEADERS, is_page
from sandbox.web.paths import LOGIN_PATH, LOGOUT_PATH, is_guarded
from sandbox.web.sessions import SESSION_LIFETIME, Sessions

StartResponse = Callable[..., Any]
SESSION_COOKIE = "sandbox_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_LOGIN_BODY = 4096
DEFAULT_NEXT = "/ui/"
# Printable ASCII but backslash: what a kept ``next`` may hold unencoded in ``Location``.
LOCATION_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != "\\")


@dataclass(frozen=True)
class Denial:
    status: int
    code: str
    message: str
    redirect: str | None = None  # a browser page: send it to the login form instead
    page: bool = False  # an answer under /ui/: it carries the inspector's headers

    def __call__(self, start_response: StartResponse) -> Iterable[bytes]:
        extra = list(PAGE_HEADERS) if self.page else []
        if self.redirect is not None:
            start_response("303 See Other", [("Location", self.redirect),
                                             ("Content-Length", "0"), *extra])
            return [b""]
        body = (error_answer(SandboxError(self.message, code=self.code, status=self.status))
                .body or "").encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                   *extra]
        if self.status == 401:
            headers.append(("WWW-Authenticate", 'Bearer realm="postback-sandbox"'))
        start_response(f"{self.status} {'Unauthorized' if self.status == 401 else 'Forbidden'}",
                       headers)
        return [body]


def _cookie(environ: dict[str, Any], name: str) -> str | None:
    raw = environ.get("HTTP_COOKIE")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # noqa: BLE001 - a malformed cookie header is simply no cookie
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def cross_site(environ: dict[str, Any]) -> bool:
    """Whether the browser says this request came from a page that is not ours."""
    fetch_site = environ.get("HTTP_SEC_FETCH_SITE", "").lower()
    if fetch_site in ("cross-site", "same-site"):
        return True
    origin = environ.get("HTTP_ORIGIN")
    return origin is not None and not _own_origin(origin, environ)


def _own_origin(origin: str, environ: dict[str, Any]) -> bool:
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
    return origin != "null" and urlsplit(origin).netloc.lower() == host.lower()


def same_origin_evidence(environ: dict[str, Any]) -> bool:
    if environ.get("HTTP_SEC_FETCH_SITE", "").lower() == "same-origin":
        return True
    origin = environ.get("HTTP_ORIGIN")
    return origin is not None and _own_origin(origin, environ)


def safe_next(value: str | None) -> str:
    """Only a path on this origin is followed after login, as the browser will read it.

    Browsers drop tab, CR and LF from a URL and read a backslash as a slash, so ``/%09/evil``
    and ``/%5Cevil`` (decoded) lead to another site: anything holding a control character or
    a backslash is refused, and so is anything not starting with exactly one ``/``. What is
    kept goes out in ``Location`` with spaces and non-ASCII characters percent-encoded.
    """
    if not value or not value.startswith("/") or value.startswith("//"):
        return DEFAULT_NEXT
    if any(ord(char) < 0x20 or char in "\\\x7f" for char in value):
        return DEFAULT_NEXT
    return quote(value, safe=LOCATION_SAFE, errors="replace")


class Gated:
    """The app behind the gate: /ui/login and /ui/logout answered here, a guarded path let
    through only when the gate allows it (``create_app`` puts every app behind one)."""

    def __init__(self, gate: AdminGate, app: Callable[..., Iterable[bytes]]) -> None:
        self.gate = gate
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse
                 ) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "") in (LOGIN_PATH, LOGOUT_PATH):
            return self.gate.login(environ, start_response)
        denied = self.gate.check(environ)
        if denied is not None:
            return denied(start_response)
        return self.app(environ, start_response)


class AdminGate:
    def __init__(self, token: str | None, *, required: bool, sessions: SessionRepository,
                 clock: Clock) -> None:
        if required and not token:
            raise ConfigError("an admin token is required when bound beyond 127.0.0.1",
                              field="token")
        self.token = token if required else None
        self.required = required
        self.sessions = Sessions(self.token, sessions, clock) if self.token else None

    def authenticated_by(self, environ: dict[str, Any]) -> str | None:
        """'bearer', 'cookie', or None."""
        if self.token is None:
            return None
        scheme, _, value = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() == "bearer" and _same(value.strip(), self.token):
            return "bearer"
        cookie = _cookie(environ, SESSION_COOKIE)
        if cookie is not None and self.sessions is not None and self.sessions.is_open(cookie):
            return "cookie"
        return None

    def check(self, environ: dict[str, Any]) -> Denial | None:
        """None to let the request through, else the answer that refuses it."""
        path = environ.get("PATH_INFO", "")
        if not is_guarded(path):
            return None
        method = environ.get("REQUEST_METHOD", "GET").upper()
        via = self.authenticated_by(environ)
        page = is_page(path)
        if self.required and via is None:
            if page and method in ("GET", "HEAD"):
                return Denial(401, "unauthorized", "log in first", page=True,
                              redirect=f"{LOGIN_PATH}?next={quote(path, safe='/')}")
            return Denial(401, "unauthorized",
                          "this sandbox is exposed beyond 127.0.0.1: send "
                          "Authorization: Bearer <token> (printed when the server started)",
                          page=page)
        if method in SAFE_METHODS:
            return None
        if cross_site(environ) or (via == "cookie" and not same_origin_evidence(environ)):
            return Denial(403, "cross_site_request",
                          "refused a state-changing request that did not come from the "
                          "sandbox's own pages (CSRF protection)", page=page)
        return None

    def login(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """GET shows the form; POST checks the token, sets the session cookie, redirects."""
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if method == "POST" and cross_site(environ):
            return Denial(403, "cross_site_request", "login from another site refused",
                          page=True)(start_response)
        if path == LOGOUT_PATH:
            cookie = _cookie(environ, SESSION_COOKIE)
            if cookie is not None and self.sessions is not None:
                self.sessions.close(cookie)
            return self._redirect(start_response, LOGIN_PATH, cookie="")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        target = safe_next((query.get("next") or [None])[0])
        if self.token is None:
            return self._redirect(start_response, target)
        if method != "POST":
            return self._page(start_response, 200, target, "")
        fields = parse_qs(_read_form(environ))
        target = safe_next((fields.get("next") or [target])[0])
        given = (fields.get("token") or [""])[0].strip()
        if not _same(given, self.token):
            return self._page(start_response, 401, target, "That token is not right.")
        assert self.sessions is not None
        return self._redirect(start_response, target, cookie=self.sessions.open(),
                              secure=environ.get("wsgi.url_scheme") == "https")

    @staticmethod
    def _redirect(start_response: StartResponse, target: str, *, cookie: str | None = None,
                  secure: bool = False) -> Iterable[bytes]:
        headers = [("Location", target), ("Content-Length", "0"), *PAGE_HEADERS]
        if cookie is not None:
            attributes = "HttpOnly; SameSite=Strict; Path=/" + ("; Secure" if secure else "")
            age = f"; Max-Age={SESSION_LIFETIME if cookie else 0}"
            headers.append(("Set-Cookie", f"{SESSION_COOKIE}={cookie}; {attributes}{age}"))
        start_response("303 See Other", headers)
        return [b""]

    @staticmethod
    def _page(start_response: StartResponse, status: int, target: str,
              problem: str) -> Iterable[bytes]:
        body = LOGIN_FORM.format(next=html.escape(target, quote=True),
                                 problem=html.escape(problem)).encode()
        start_response(f"{status} {'OK' if status == 200 else 'Unauthorized'}", [
            ("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"), *PAGE_HEADERS,
        ])
        return [body]


def _read_form(environ: dict[str, Any]) -> str:
    declared = environ.get("CONTENT_LENGTH") or "0"
    size = min(int(declared) if declared.isdigit() else 0, MAX_LOGIN_BODY)
    data: bytes = environ["wsgi.input"].read(size) if size else b""
    return data.decode("utf-8", "replace")


LOGIN_FORM = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>postback-sandbox: log in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/inspector.css"></head>
<body><main class="login">
<h1>postback-sandbox</h1>
<p>This sandbox is exposed beyond this machine. Enter the admin token printed when it started
(or given with <code>--token</code> / <code>SANDBOX_TOKEN</code>).</p>
<p class="error" role="alert">{problem}</p>
<form method="post" action="/ui/login">
<input type="hidden" name="next" value="{next}">
<label>Admin token <input type="password" name="token" autocomplete="current-password"
autofocus required></label>
<button type="submit">Log in</button>
</form></main></body></html>
"""
