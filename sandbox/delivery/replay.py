"""Sending a replay (``sandbox/capture/replay.py`` says what is sent) once, on the process's
worker with the one HTTP client: no redirects followed, no proxy from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.capture.replay import (
    DEFAULT_TIMEOUT,
    MAX_TIMEOUT,
    SNIPPET_CHARS,
    ReplayRequest,
    ReplayResult,
    replay_request,
)
from sandbox.clock import Clock, SystemClock
from sandbox.delivery.http import NETWORK_ERRORS
from sandbox.delivery.worker import fetch

_UTF8_MAX = 4  # bytes per character: the bytes read for a snippet of SNIPPET_CHARS


def send(request: ReplayRequest, *, timeout: float = DEFAULT_TIMEOUT,
         clock: Clock | None = None) -> ReplayResult:
    clock = clock or SystemClock()
    started = clock.monotonic()
    limit = min(timeout, MAX_TIMEOUT)
    try:
        answer = fetch(request.method, request.url, request.headers, request.body or None,
                       timeout=limit, body_limit=SNIPPET_CHARS * _UTF8_MAX)
    except NETWORK_ERRORS as error:
        text = str(error) or (f"timed out after {limit:g}s" if isinstance(error, TimeoutError)
                              else "")
        return ReplayResult(
            url=request.url, method=request.method, status=None,
            elapsed_ms=_ms(clock, started), headers=[], body="", body_truncated=False,
            error=f"{type(error).__name__}: {text}" if text else type(error).__name__,
        )
    text = answer.text
    return ReplayResult(
        url=request.url, method=request.method, status=answer.status,
        elapsed_ms=_ms(clock, started), headers=list(answer.headers),
        body=text[:SNIPPET_CHARS], body_truncated=answer.truncated or len(text) > SNIPPET_CHARS,
        error=None,
    )


def _ms(clock: Clock, started: float) -> float:
    return round((clock.monotonic() - started) * 1000, 1)


def replay(view: Mapping[str, Any], url: str, *, timeout: float = DEFAULT_TIMEOUT,
           clock: Clock | None = None) -> ReplayResult:
    """Replay a captured postback to ``url`` and report what came back."""
    return send(replay_request(view, url), timeout=timeout, clock=clock)
