"""The HTTP sender: at most ``concurrency`` requests in flight on the loop's keep-alive session
(``sandbox/delivery/http.py``), and a timeout per attempt. It never raises for what the network
does: every outcome is a ``Sent``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp

from sandbox.clock import Clock
from sandbox.delivery.http import RequestError, done_with_session, exchange
from sandbox.signing import OutgoingRequest

SNIPPET_BYTES = 1024


@dataclass(frozen=True)
class Sent:
    """One attempt's outcome. ``error_kind``: timeout, connect, protocol or request."""

    status: int | None
    latency_ms: float
    error: str | None = None
    error_kind: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    snippet: bytes = b""

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)


class Sender:
    def __init__(self, clock: Clock, *, concurrency: int, timeout: float) -> None:
        self.clock = clock
        self.timeout = timeout
        self._slots = asyncio.Semaphore(concurrency)

    async def send(self, request: OutgoingRequest, *, timeout: float | None = None) -> Sent:
        """Send one attempt; ``timeout`` (seconds) over the sender's own."""
        limit = self.timeout if timeout is None else timeout
        async with self._slots:
            started = self.clock.monotonic()
            try:
                answer = await exchange(request.method, request.url, request.headers,
                                        request.body, timeout=limit,
                                        body_limit=SNIPPET_BYTES)
            except RequestError as exc:
                return self._failed(started, str(exc), "request")
            except TimeoutError:
                return self._failed(started, f"timed out after {limit:g}s", "timeout")
            except aiohttp.ClientConnectorError as exc:
                if isinstance(exc.os_error, ConnectionRefusedError):
                    return self._failed(started, "connection refused", "connect")
                return self._failed(started, f"connection error: {exc}", "connect")
            except (aiohttp.ClientResponseError, aiohttp.ClientPayloadError) as exc:
                return self._failed(started, f"bad answer: {exc}", "protocol")
            except (aiohttp.ClientError, OSError) as exc:
                text = str(exc) or type(exc).__name__
                return self._failed(started, f"connection error: {text}", "connect")
            latency = (self.clock.monotonic() - started) * 1000
            return Sent(answer.status, latency, headers=answer.headers, snippet=answer.body)

    def _failed(self, started: float, error: str, kind: str) -> Sent:
        return Sent(None, (self.clock.monotonic() - started) * 1000, error, kind)

    async def close(self) -> None:
        await done_with_session()
