"""Replay a captured postback to a URL: the same method, headers and raw body bytes (what
is sent; the sending is ``sandbox/delivery/replay.py``).

The target URL replaces scheme, host and path; when it has no query string of its own, the
captured one is appended as it came. Hop-by-hop headers and Host/Content-Length are left to
the HTTP client; ``X-Postback-Sandbox-Replay`` names the capture being replayed.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from sandbox.errors import SandboxError

DEFAULT_TIMEOUT = 10.0
MAX_TIMEOUT = 60.0
MAX_URL_LENGTH = 8 * 1024
SNIPPET_CHARS = 4096
REPLAY_HEADER = "X-Postback-Sandbox-Replay"
DROPPED_HEADERS = frozenset({
    "host", "content-length", "connection", "keep-alive", "transfer-encoding", "te",
    "upgrade", "trailer", "expect", "proxy-authorization", "proxy-connection",
    REPLAY_HEADER.lower(),
})


@dataclass(frozen=True)
class ReplayRequest:
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True)
class ReplayResult:
    url: str
    method: str
    status: int | None
    elapsed_ms: float
    headers: list[tuple[str, str]]
    body: str
    body_truncated: bool
    error: str | None

    def to_dict(self) -> dict[str, Any]:
        answer = asdict(self)
        answer["headers"] = [list(pair) for pair in self.headers]
        return answer


def _bad_url(url: object, problem: str) -> SandboxError:
    return SandboxError(f"url {url!r}: {problem}", code="bad_url", field="url")


def check_url(url: object) -> str:
    """An absolute http(s) URL, or SandboxError naming the field ``url``."""
    if not isinstance(url, str) or not url:
        raise _bad_url(url, "expected an absolute http:// or https:// URL")
    if len(url) > MAX_URL_LENGTH or any(ord(c) < 33 for c in url):
        raise _bad_url(url[:80], f"expected at most {MAX_URL_LENGTH} characters and no spaces")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _bad_url(url, "expected an absolute http:// or https:// URL with a host")
    return url


def raw_body(view: Mapping[str, Any]) -> bytes:
    """The body bytes exactly as received, from a capture view."""
    if view.get("body_encoding") == "base64":
        return base64.b64decode(view["body"])
    return str(view.get("body") or "").encode("utf-8")


def replay_request(view: Mapping[str, Any], url: str) -> ReplayRequest:
    """What replaying ``view`` to ``url`` sends (pure)."""
    target = check_url(url)
    if not urlsplit(target).query and view.get("query_string"):
        target = f"{target.split('#', 1)[0]}?{view['query_string']}"
    headers = tuple(
        (str(name), str(value))
        for name, value in view.get("headers") or []
        if str(name).lower() not in DROPPED_HEADERS
    )
    return ReplayRequest(
        method=str(view["method"]),
        url=target,
        headers=(*headers, (REPLAY_HEADER, str(view["id"]))),
        body=raw_body(view),
    )
