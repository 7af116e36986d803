"""Tee mode's sending half: a captured postback goes to the channel's forward URL and the
upstream answer (or the error) is what the capture stores. The settings, the target URL and
the loop guard are ``sandbox/capture/forwarding.py``.
"""

from __future__ import annotations

from typing import Any

import httpx

from sandbox.capture.forwarding import (
    FORWARD_MARKER,
    HOP_BY_HOP,
    SNIPPET_BYTES,
    ForwardSettings,
    target_url,
)
from sandbox.capture.record import InboundRequest
from sandbox.clock import Clock


def forward(settings: ForwardSettings, request: InboundRequest, clock: Clock) -> dict[str, Any]:
    """Send the request upstream; the upstream answer (or the error) as stored on the capture.
    Never raises for what the network does."""
    url = target_url(settings, request)
    headers = [(k, v) for k, v in request.headers if k.lower() not in HOP_BY_HOP]
    headers.append((FORWARD_MARKER, "1"))
    started = clock.monotonic()
    result: dict[str, Any] = {"url": url, "status": None, "headers": [], "body": None,
                              "error": None}
    try:
        with httpx.Client(timeout=settings.timeout_ms / 1000, follow_redirects=False) as http:
            answer = http.request(request.method, url, headers=headers, content=request.body)
        result.update(status=answer.status_code, headers=list(answer.headers.items()),
                      body=answer.content[:SNIPPET_BYTES].decode("utf-8", "replace"))
    except httpx.TimeoutException:
        result["error"] = f"timed out after {settings.timeout_ms} ms"
    except httpx.HTTPError as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"
    result["latency_ms"] = round((clock.monotonic() - started) * 1000, 3)
    return result
