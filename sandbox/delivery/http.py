"""Outbound HTTP, one library for every sender: aiohttp, one session per event loop.

Scenario delivery, real-time postbacks, re-sends, tee forwarding, replays and the remote
client all send through ``exchange`` on their loop's session (in practice the one worker
loop of ``sandbox/delivery/worker.py``), so connections are kept alive across requests.
The request goes out as given: the URL unquoted-as-is, headers in order with duplicates,
the body as raw bytes, no redirects followed, no proxy or cookies from the environment, no
decompression. aiohttp was chosen by measurement: at 64 requests in flight to nginx, httpx's
AsyncClient reached about 400 requests/s here and aiohttp about 7,800/s (bench_delivery).
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from sandbox import __version__

USER_AGENT = f"postback-sandbox/{__version__}"
# Headers aiohttp would add on its own; a postback carries only what its sender set.
_NOT_ADDED = ("Accept", "Accept-Encoding", "Content-Type")

_sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession] = (
    weakref.WeakKeyDictionary())
_long_lived: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()


class RequestError(Exception):
    """A request that cannot be sent as given (a URL without an http(s) scheme or a host, a
    header with a line break)."""


# Everything ``exchange`` raises for what the network (or the request's own text) does.
NETWORK_ERRORS = (aiohttp.ClientError, RequestError, TimeoutError, OSError)


@dataclass(frozen=True)
class Response:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes  # at most ``body_limit`` bytes
    truncated: bool

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)


def session() -> aiohttp.ClientSession:
    """The running loop's session, made on first use."""
    loop = asyncio.get_running_loop()
    found = _sessions.get(loop)
    if found is None or found.closed:
        found = _sessions[loop] = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300),
            timeout=aiohttp.ClientTimeout(total=None), auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(), trust_env=False,
            headers={"User-Agent": USER_AGENT}, skip_auto_headers=_NOT_ADDED)
    return found


def keep_sessions_on(loop: asyncio.AbstractEventLoop) -> None:
    """A loop that lives as long as the process: ``done_with_session`` leaves its session."""
    _long_lived.add(loop)


async def done_with_session() -> None:
    """A sender is done: close the session unless its loop is long-lived (then the next
    sender reuses its connections)."""
    if asyncio.get_running_loop() not in _long_lived:
        await close_session()


async def close_session() -> None:
    """Close the running loop's session (a loop that ends must close what it opened)."""
    found = _sessions.pop(asyncio.get_running_loop(), None)
    if found is not None:
        await found.close()


def target(url: str) -> URL:
    try:
        parsed = URL(url, encoded=True)
    except (ValueError, TypeError) as exc:
        raise RequestError(f"bad URL {url[:200]!r}: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise RequestError(f"bad URL {url[:200]!r}: expected http:// or https:// and a host")
    return parsed


def check_headers(headers: Sequence[tuple[str, str]]) -> None:
    """A header that would split the request (a line break, a colon in its name) is refused
    here rather than by the library mid-send."""
    for name, value in headers:
        if "\n" in name or "\r" in name or "\n" in value or "\r" in value or ":" in name:
            raise RequestError(f"header {name[:100]!r} cannot be sent (line break or colon)")


async def exchange(method: str, url: str, headers: Sequence[tuple[str, str]], body: bytes | None,
                   *, timeout: float, body_limit: int | None) -> Response:
    """One request and its answer (its body cut at ``body_limit`` bytes; None: all of it).
    Raises one of ``NETWORK_ERRORS``."""
    address = target(url)
    check_headers(headers)
    async with asyncio.timeout(timeout):
        async with session().request(method, address, headers=CIMultiDict(headers),
                                     data=body or None, allow_redirects=False) as response:
            if body_limit is None:
                content, truncated = await response.read(), False
            else:
                content, truncated = await _read_up_to(response, body_limit)
            return Response(response.status, tuple(response.headers.items()), content, truncated)


async def _read_up_to(response: aiohttp.ClientResponse, limit: int) -> tuple[bytes, bool]:
    """The first ``limit`` bytes of the body, and whether there was more. A body read to its
    end leaves the connection free for the next request."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            break
    content = b"".join(chunks)
    return content[:limit], size > limit
