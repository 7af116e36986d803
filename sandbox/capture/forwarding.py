"""Tee mode settings: a channel forwards each captured postback to another URL and the upstream
answer is stored on the capture (the sending is ``sandbox/live/forward.py``).

The forward URL takes the place of ``/pb/<channel>``: with ``url`` ``https://net.example/hook``
a capture of ``/pb/net1/install?click_id=a`` goes to ``https://net.example/hook/install?
click_id=a``, with the same method, body and headers (hop-by-hop ones aside). Loop guard: a
forwarded request carries ``X-Sandbox-Forwarded``; a request that carries it is never
forwarded again (a sandbox forwarding to itself, or two sandboxes forwarding to each other,
stop after one hop).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sandbox.capture.record import InboundRequest
from sandbox.errors import SandboxError

FORWARD_MARKER = "X-Sandbox-Forwarded"
MAX_TIMEOUT_MS = 60_000
SNIPPET_BYTES = 1024
HOP_BY_HOP = frozenset({"host", "content-length", "connection", "keep-alive", "te", "trailer",
                        "transfer-encoding", "upgrade", "proxy-authorization",
                        "proxy-connection", FORWARD_MARKER.lower()})
FORWARD_FIELDS = ("url", "timeout_ms")


@dataclass(frozen=True)
class ForwardSettings:
    url: str
    timeout_ms: int = 5000

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "timeout_ms": self.timeout_ms}


def _bad(name: str, message: str) -> SandboxError:
    path = "forward" if name == "forward" else f"forward.{name}"
    return SandboxError(f"{path}: {message}", code="bad_channel_config", field=path)


def parse_forward(raw: Any) -> ForwardSettings | None:
    """Forward settings from the config file or the API (None: the channel does not forward)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _bad("forward", 'expected an object such as {"url": "http://127.0.0.1:9000/hook", '
                   '"timeout_ms": 2000}')
    unknown = sorted(set(raw) - set(FORWARD_FIELDS))
    if unknown:
        raise _bad(unknown[0], f"unknown setting; expected one of {', '.join(FORWARD_FIELDS)}")
    url = raw.get("url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if not isinstance(url, str) or parts is None or parts.scheme not in ("http", "https") \
            or not parts.netloc or parts.query or parts.fragment:
        raise _bad("url", f"expected http(s)://host[:port][/path] without a query, got {url!r}")
    timeout = raw.get("timeout_ms", 5000)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not (
            1 <= timeout <= MAX_TIMEOUT_MS):
        raise _bad("timeout_ms", f"expected a whole number from 1 to {MAX_TIMEOUT_MS}, "
                   f"got {timeout!r}")
    return ForwardSettings(url.rstrip("/"), timeout)


def is_forwarded(request: InboundRequest) -> bool:
    return request.header(FORWARD_MARKER) is not None


def target_url(settings: ForwardSettings, request: InboundRequest) -> str:
    path = request.path
    prefix = f"/pb/{request.channel}"
    rest = path[len(prefix):] if path == prefix or path.startswith(prefix + "/") else path
    query = f"?{request.query_string}" if request.query_string else ""
    return f"{settings.url}{rest}{query}"


def loop_guarded(request: InboundRequest) -> dict[str, Any]:
    """What is stored on a capture that was not forwarded because it was already forwarded."""
    return {"url": None, "status": None, "headers": [], "body": None, "latency_ms": None,
            "error": f"not forwarded: the request carries {FORWARD_MARKER} (loop guard)"}
