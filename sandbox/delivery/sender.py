"""The HTTP sender: a shared keep-alive pool, at most ``concurrency`` requests in flight, and a
timeout per attempt. It never raises for what the network does: every outcome is a ``Sent``.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlsplit

from sandbox import __version__
from sandbox.clock import Clock
from sandbox.delivery.http11 import (
    Connection,
    Origin,
    ProtocolError,
    RequestError,
    Response,
    encode_request,
)
from sandbox.signing import OutgoingRequest

SNIPPET_BYTES = 1024
USER_AGENT = f"postback-sandbox/{__version__}"


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


@functools.lru_cache(maxsize=256)
def _origin(scheme: str, netloc: str) -> Origin:
    try:
        parts = urlsplit(f"{scheme}://{netloc}/")
        port = parts.port
    except ValueError as exc:
        raise RequestError(f"bad host {netloc[:200]!r}: {exc}") from None
    if scheme not in ("http", "https") or not parts.hostname:
        raise RequestError(f"bad URL {scheme}://{netloc[:200]}: expected http:// or https:// "
                           "and a host")
    return Origin(scheme, parts.hostname, port or (443 if scheme == "https" else 80))


def split_url(url: str) -> tuple[Origin, str]:
    """The origin and the request target (path and query) of an http(s) URL."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        raise RequestError(f"bad URL {url[:200]!r}: expected http:// or https:// and a host")
    cut = len(rest)
    for stop in "/?#":
        found = rest.find(stop)
        if found != -1:
            cut = min(cut, found)
    target = rest[cut:].partition("#")[0]
    if not target.startswith("/"):
        target = "/" + target
    return _origin(scheme.lower(), rest[:cut]), target


class Sender:
    def __init__(self, clock: Clock, *, concurrency: int, timeout: float) -> None:
        self.clock = clock
        self.timeout = timeout
        self._slots = asyncio.Semaphore(concurrency)
        self._idle: defaultdict[Origin, list[Connection]] = defaultdict(list)
        self._tls: ssl.SSLContext | None = None

    async def send(self, request: OutgoingRequest) -> Sent:
        async with self._slots:
            started = self.clock.monotonic()
            status: int | None = None
            try:
                origin, target = split_url(request.url)
                payload = encode_request(request.method, origin, target, request.headers,
                                         request.body, user_agent=USER_AGENT)
                async with asyncio.timeout(self.timeout):
                    response = await self._exchange(origin, payload, request.method)
                status = response.status
            except RequestError as exc:
                return self._failed(started, str(exc), "request")
            except TimeoutError:
                return self._failed(started, f"timed out after {self.timeout:g}s", "timeout")
            except ConnectionRefusedError:
                return self._failed(started, "connection refused", "connect")
            except ProtocolError as exc:
                return self._failed(started, f"bad answer: {exc}", "protocol")
            except (OSError, EOFError, asyncio.IncompleteReadError) as exc:
                text = str(exc) or type(exc).__name__
                return self._failed(started, f"connection error: {text}", "connect")
            latency = (self.clock.monotonic() - started) * 1000
            return Sent(status, latency, headers=response.headers, snippet=response.snippet)

    def _failed(self, started: float, error: str, kind: str) -> Sent:
        return Sent(None, (self.clock.monotonic() - started) * 1000, error, kind)

    async def _exchange(self, origin: Origin, payload: bytes, method: str) -> Response:
        idle = self._idle[origin]
        while idle:  # a kept-alive connection the server may have closed since: retry fresh
            connection = idle.pop()
            try:
                return await self._on(connection, origin, payload, method)
            except (ConnectionResetError, BrokenPipeError, asyncio.IncompleteReadError):
                continue
        connection = await Connection.open(origin, self._tls_for(origin))
        return await self._on(connection, origin, payload, method)

    async def _on(
        self, connection: Connection, origin: Origin, payload: bytes, method: str
    ) -> Response:
        try:
            response = await connection.exchange(payload, method=method,
                                                 snippet_bytes=SNIPPET_BYTES)
        except BaseException:
            connection.close()
            raise
        if response.keep_alive:
            self._idle[origin].append(connection)
        else:
            connection.close()
        return response

    def _tls_for(self, origin: Origin) -> ssl.SSLContext | None:
        if origin.scheme != "https":
            return None
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls

    async def close(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()
        await asyncio.sleep(0)
