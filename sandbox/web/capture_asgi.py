"""The served capture path: an ASGI callable on the worker's event loop.

One loop per worker takes every capture in, with no thread hand-offs: the request is read and
interpreted on the loop, its write joins the loop's next group commit (``LoopCommitter``), and
the answer goes out once that commit is durable. Blocking work that only some channels need
(forwarding upstream, pruning) runs on a small thread pool so the loop never waits on it.

ASGI hands headers over as the client sent them: in order, repeated headers as separate
entries, names lower-cased (shown here in Header-Case).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sandbox.capture.channels import Answer
from sandbox.capture.record import InboundRequest
from sandbox.clock import iso_utc
from sandbox.errors import SandboxError
from sandbox.store.loop_commit import LoopCommitter
from sandbox.store.records import StoreError
from sandbox.web.capture_rules import (
    REFUSED_PREFIX_BYTES,
    CaptureDesk,
    ReceiverLimits,
    body_incomplete,
    body_refusal,
    body_timed_out,
    channel_of,
    head_refusal,
    internal_error,
    not_stored,
    text_of,
)

log = logging.getLogger("sandbox.capture")
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
SIDE_THREADS = 16


@functools.lru_cache(maxsize=1024)
def header_name(raw: bytes) -> str:
    return "-".join(part.capitalize() for part in raw.decode("latin-1").split("-"))


def scope_headers(scope: Scope) -> list[tuple[str, str]]:
    return [(header_name(name), text_of(value)) for name, value in scope["headers"]]


def scope_path(scope: Scope) -> str:
    """The path as sent, percent-encoding kept."""
    return text_of(scope.get("raw_path") or scope["path"].encode("utf-8"))


def declared_length(headers: list[tuple[str, str]]) -> tuple[int | None, bool]:
    """(Content-Length if given and valid, whether a body may follow at all)."""
    length, chunked = None, False
    for name, value in headers:
        if name == "Content-Length":
            length = int(value) if value.strip().isdigit() else None
        elif name == "Transfer-Encoding":
            chunked = True
    return length, chunked or length is not None


@dataclass
class Body:
    """What arrived of a request body, and whether it arrived whole."""

    chunks: list[bytes] = field(default_factory=list)
    size: int = 0  # bytes that arrived; the declared size of a body refused as too large
    too_large: bool = False
    cut: SandboxError | None = None  # why it did not arrive whole (incomplete, timed out)

    @property
    def data(self) -> bytes:
        return b"".join(self.chunks)


async def read_body(receive: Receive, declared: int | None, limits: ReceiverLimits) -> Body:
    """Read the body within the body timeout. A body over the limit keeps only its first
    bytes; one that is cut short or too slow keeps what arrived and says why.

    granian delivers ``http.disconnect`` instead of the final ``http.request`` both when the
    client leaves mid-body and when the chunked framing is broken, so either is "incomplete".
    """
    body = Body()
    try:
        # One timer per body, not one per message: about 6 µs of a capture's ~200 µs.
        async with asyncio.timeout(limits.body_timeout):
            if declared is not None and declared > limits.max_body:
                await _prefix(receive, body, declared)
            else:
                await _whole(receive, body, declared, limits.max_body)
    except TimeoutError:
        if not body.too_large:
            body.cut = body_timed_out(body.size, limits.body_timeout)
    return body


async def _whole(receive: Receive, body: Body, declared: int | None, limit: int) -> None:
    while True:
        message = await receive()
        if message["type"] != "http.request":
            body.cut = body_incomplete(body.size, declared)
            return
        chunk = message.get("body", b"")
        body.chunks.append(chunk)
        body.size += len(chunk)
        if body.size > limit:
            body.chunks, body.too_large = [body.data[:REFUSED_PREFIX_BYTES]], True
            return
        if not message.get("more_body", False):
            if declared is not None and body.size != declared:  # the server should not allow it
                body.cut = body_incomplete(body.size, declared)
            return


async def _prefix(receive: Receive, body: Body, declared: int) -> None:
    body.size, body.too_large = declared, True
    kept = 0
    while kept < REFUSED_PREFIX_BYTES:
        message = await receive()
        chunk = message.get("body", b"")
        body.chunks.append(chunk)
        kept += len(chunk)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    body.chunks = [body.data[:REFUSED_PREFIX_BYTES]]


NO_BODY = Body()


class AsyncReceiver:
    def __init__(self, desk: CaptureDesk) -> None:
        self.desk = desk
        self.limits = desk.limits
        self.commits = LoopCommitter(desk.store.writer)
        self.side_work = ThreadPoolExecutor(SIDE_THREADS, thread_name_prefix="sandbox-side")

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Captures are derived on this loop, between its requests."""
        self.desk.deriver.run_on(loop, self.commits)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            method, answer, text = await self._capture(scope, receive)
        except Exception:  # a traceback is never an answer
            log.exception("capture failed")
            method, answer = scope.get("method", "GET"), internal_error()
            text = answer.body or ""
        await respond(send, method, answer, text)

    async def _capture(self, scope: Scope, receive: Receive) -> tuple[str, Answer, str]:
        path = scope_path(scope)
        channel, channel_problem = channel_of(path)
        query_string = text_of(scope["query_string"])
        headers = scope_headers(scope)
        declared, has_body = declared_length(headers)
        refused = head_refusal(path, query_string, headers, self.limits)
        body, size = b"", declared or 0
        if refused is None:
            read = await read_body(receive, declared, self.limits) if has_body else NO_BODY
            body, size = read.data, read.size
            refused = body_refusal(self.limits, too_large=read.too_large, size=size,
                                   channel_problem=channel_problem, cut=read.cut)
        client = scope.get("client")
        request = InboundRequest(
            method=scope["method"].upper(), path=path, query_string=query_string,
            headers=headers, body=body, remote_addr=client[0] if client else None,
            received_at=iso_utc(self.desk.clock.now()), body_size=size, channel=channel,
        )
        taken = self.desk.take(request, refused)
        try:
            capture_id, answer = await self.commits.run(taken.write)
        except StoreError as exc:
            answer = not_stored(exc)
            return request.method, answer, answer.body or ""
        text = self.desk.stored(taken, capture_id, answer)
        loop = asyncio.get_running_loop()
        if self.desk.retention.policy.enabled:
            loop.run_in_executor(self.side_work, self.desk.prune)
        if taken.forward_to is not None:
            await loop.run_in_executor(self.side_work, self.desk.forward, taken, capture_id)
        if answer.delay_ms:
            await self.desk.clock.pause(answer.delay_ms / 1000)
        return request.method, answer, text

    def close(self) -> None:
        self.desk.close()
        self.commits.close()
        self.side_work.shutdown(wait=False, cancel_futures=True)


JSON_TYPE = (b"content-type", b"application/json")


async def respond(send: Send, method: str, answer: Answer, text: str) -> None:
    payload = text.encode("utf-8")
    length = (b"content-length", str(len(payload)).encode("ascii"))
    if answer.headers:
        named = {"content-type": "application/json"}
        named.update((name.lower(), value) for name, value in answer.headers.items())
        named.pop("content-length", None)
        headers = [(name.encode("latin-1"), value.encode("utf-8"))
                   for name, value in named.items()]
        headers.append(length)
    else:
        headers = [JSON_TYPE, length]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if method == "HEAD" else payload})
