"""Tee mode's sending half: a captured postback goes to the channel's forward URL and the
upstream answer (or the error) is what the capture stores. The settings, the target URL and
the loop guard are ``sandbox/capture/forwarding.py``.
"""

from __future__ import annotations

from typing import Any

from sandbox.capture.forwarding import (
    FORWARD_MARKER,
    HOP_BY_HOP,
    SNIPPET_BYTES,
    ForwardSettings,
    target_url,
)
from sandbox.capture.record import InboundRequest
from sandbox.clock import Clock
from sandbox.delivery.http import NETWORK_ERRORS
from sandbox.delivery.worker import fetch


def forward(settings: ForwardSettings, request: InboundRequest, clock: Clock) -> dict[str, Any]:
    """Send the request upstream on the process's worker; the upstream answer (or the error)
    as stored on the capture. Never raises for what the network does."""
    url = target_url(settings, request)
    headers = [(k, v) for k, v in request.headers if k.lower() not in HOP_BY_HOP]
    headers.append((FORWARD_MARKER, "1"))
    started = clock.monotonic()
    result: dict[str, Any] = {"url": url, "status": None, "headers": [], "body": None,
                              "error": None}
    try:
        answer = fetch(request.method, url, headers, request.body,
                       timeout=settings.timeout_ms / 1000, body_limit=SNIPPET_BYTES)
        result.update(status=answer.status, headers=[list(h) for h in answer.headers],
                      body=answer.text)
    except TimeoutError:
        result["error"] = f"timed out after {settings.timeout_ms} ms"
    except NETWORK_ERRORS as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"
    result["latency_ms"] = round((clock.monotonic() - started) * 1000, 3)
    return result
