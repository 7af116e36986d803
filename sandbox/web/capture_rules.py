"""What happens to a request that is captured: the rules between reading it and answering.

The served capture path (``capture_asgi.py``) and the MMP ingest endpoints (``ingest.py``,
through ``keep``) hand over an ``InboundRequest``; ``CaptureDesk`` decides the rest: the
channel's settings and verification, the raw write that counts and stores it, and what
follows the commit (the deriver, the log line, pruning, forwarding, the answer's body). The
app owns one desk (``SandboxContext.desk``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sandbox.capture.channels import Answer, decide, default_body
from sandbox.capture.derive import DeriveLimits, RawCapture
from sandbox.capture.deriver import Deriver
from sandbox.capture.forwarding import ForwardSettings, is_forwarded, loop_guarded
from sandbox.capture.record import (
    CHANNEL_PATTERN,
    DEFAULT_CHANNEL,
    MAX_JSON_ELEMENTS,
    CaptureRecord,
    InboundRequest,
    ParseLimits,
    raw_record,
)
from sandbox.capture.trust import ChannelSettings, cached_channel, judge, stored_replay_key
from sandbox.clock import Clock
from sandbox.errors import SandboxError
from sandbox.live.forward import forward
from sandbox.settings import Settings
from sandbox.signing import Profile, SkanProfile, Verdict
from sandbox.skan.keyring import SandboxKeyring
from sandbox.store import Store
from sandbox.store.captures import CaptureWrite, write_capture, write_numbered
from sandbox.store.records import StoreError
from sandbox.store.retention import Retention, RetentionPolicy
from sandbox.web.errors import error_answer
from sandbox.web.logs import HotLog

log = logging.getLogger("sandbox.capture")
capture_log = HotLog("sandbox.capture")
REFUSED_PREFIX_BYTES = 4096


@dataclass(frozen=True)
class ReceiverLimits:
    max_body: int = 1024 * 1024
    max_decoded: int = 1024 * 1024
    max_headers: int = 64
    max_header_bytes: int = 32 * 1024
    max_url: int = 8 * 1024
    max_json_depth: int = 64
    max_json_elements: int = MAX_JSON_ELEMENTS
    body_timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> ReceiverLimits:
        return cls(
            max_body=settings.max_body, max_decoded=settings.max_decoded_body,
            max_headers=settings.max_headers, max_header_bytes=settings.max_header_bytes,
            max_url=settings.max_url, max_json_depth=settings.max_json_depth,
            body_timeout=settings.body_timeout,
            max_json_elements=settings.max_json_elements,
        )


def channel_of(path: str) -> tuple[str, str | None]:
    """(channel, problem) for a request path; ``/pb/<channel>/...`` names one, else default."""
    if path == "/pb" or path.startswith("/pb/"):
        name = path[4:].split("/", 1)[0]
        if not CHANNEL_PATTERN.fullmatch(name):
            return DEFAULT_CHANNEL, (
                f"channel name {name!r} is not valid: expected 1-64 of A-Z a-z 0-9 . _ -"
            )
        return name, None
    return DEFAULT_CHANNEL, None


def text_of(raw: bytes) -> str:
    """Header values and query strings arrive as bytes; most senders meant UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


@dataclass(frozen=True)
class Refusal:
    reason: str  # stored with the capture: "code: message"
    answer: Answer


def internal_error() -> Answer:
    """The answer to a request the sandbox failed on: the error shape, never a traceback."""
    return error_answer(SandboxError("the sandbox failed to handle this request",
                                     code="internal_error", status=500))


def refusal(status: int, code: str, message: str) -> Refusal:
    return Refusal(f"{code}: {message}",
                   error_answer(SandboxError(message, code=code, status=status)))


def not_stored(exc: StoreError) -> Answer:
    log.error("capture not stored: %s", exc)
    return error_answer(SandboxError(f"the capture was not stored: {exc}", code="not_stored",
                                     status=503))


def head_refusal(
    path: str, query_string: str, headers: list[tuple[str, str]], limits: ReceiverLimits
) -> Refusal | None:
    """414 for a URL over the limit, 431 for too many or too large headers (body unread)."""
    url = len(path) + len(query_string)
    if url > limits.max_url:
        return refusal(414, "uri_too_long",
                       f"URL of {url} characters exceeds the limit of {limits.max_url}")
    if len(headers) > limits.max_headers:
        return refusal(431, "too_many_headers",
                       f"{len(headers)} headers exceed the limit of {limits.max_headers}")
    size = sum(len(name) + len(value) for name, value in headers)
    if size > limits.max_header_bytes:
        return refusal(431, "headers_too_large",
                       f"headers of {size} bytes exceed the limit of {limits.max_header_bytes}")
    return None


def body_incomplete(received: int, declared: int | None) -> SandboxError:
    """A body that ended before it was whole: short of its Content-Length, or a chunked body
    whose framing broke or whose client left (the HTTP server does not say which)."""
    if declared is None:
        message = (f"chunked body broken off after {received} bytes: bad chunk framing, "
                   "or the client closed the connection")
    else:
        message = f"received {received} of {declared} bytes before the connection ended"
    return SandboxError(message, code="body_incomplete", status=400, field="body")


def body_timed_out(received: int, timeout: float) -> SandboxError:
    return SandboxError(
        f"body not received whole within {timeout:g} s (--body-timeout); "
        f"{received} bytes arrived",
        code="body_timeout", status=408, field="body",
    )


def body_refusal(limits: ReceiverLimits, *, too_large: bool, size: int,
                 channel_problem: str | None, cut: SandboxError | None = None) -> Refusal | None:
    """The refusal a body earns: too large, then not arrived whole (``cut``), then a bad
    channel name."""
    if too_large:
        return refusal(
            413, "body_too_large",
            f"body of {size} bytes exceeds the limit of {limits.max_body} bytes; "
            "recorded with its first bytes",
        )
    if cut is not None:
        return refusal(cut.status, cut.code, cut.message)
    if channel_problem:
        return refusal(400, "bad_channel", channel_problem)
    return None


def verification_refusal(result: Verdict, status: int) -> Refusal:
    """The enforce answer: the one error shape; the code names the verdict, the message says
    what was wrong without revealing the expected token or signature."""
    code = f"verification_{result.verdict}"
    message = f"{result.kind} verification: {result.summary}"
    answer = error_answer(SandboxError(message, code=code, status=status))
    answer.headers["X-Sandbox-Verdict"] = result.verdict
    return Refusal(f"{code}: {result.summary}", answer)


NO_SETTINGS = ChannelSettings()


@dataclass(frozen=True)
class Taken:
    """A request taken in: the write that stores it, and where to forward it afterwards."""

    request: InboundRequest
    write: CaptureWrite
    forward_to: ForwardSettings | None
    refused: str | None  # why, stored with the capture


class CaptureDesk:
    def __init__(
        self, store: Store, clock: Clock, limits: ReceiverLimits,
        retention: RetentionPolicy | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.limits = limits
        self.parse_limits = ParseLimits(limits.max_body, limits.max_json_elements,
                                        limits.max_json_depth)
        self.retention = Retention(store, retention or RetentionPolicy(), clock)
        self.keyring = SandboxKeyring(store)  # read only for channels with a skan profile
        self.deriver = Deriver(store, DeriveLimits(limits.max_decoded, self.parse_limits))
        store.derivation.on_wait = self.deriver.hurry
        store.derivation.on_stale = self.deriver.sweep_soon
        self.deriver.sweep_soon()  # captures a previous run left raw

    def close(self) -> None:
        self.deriver.stop()

    def take(self, request: InboundRequest, refused: Refusal | None) -> Taken:
        """Decide how the request is written: raw, with its answer (which may depend on the
        channel's request count, which only the write transaction knows) and its verdict.
        The deriver interprets the rest after the commit (``stored``)."""
        settings = NO_SETTINGS
        if refused is None:
            settings, refused = self._channel_settings(request.channel)
        record = raw_record(request)
        # Verified here in flag mode too: whether a capture replays an accepted one depends
        # on the order captures were committed in, which only the request path knows.
        if refused is None and settings.profile is not None:
            refused = self._verify(settings.profile, request, record)
        if refused is not None:
            record.refused = refused.reason
            return Taken(request, write_capture(record, refused.answer), None, refused.reason)
        answer_settings = settings.answer
        if answer_settings.counts_requests:
            write = write_numbered(record, lambda n: decide(answer_settings, n))
        else:
            write = write_capture(record, decide(answer_settings, 0))
        return Taken(request, write, settings.forward, None)

    def keep(self, request: InboundRequest, answer: Answer, note: str | None = None) -> int:
        """Store a request that a route of the sandbox answered itself (the MMP ingest
        endpoints): raw, like every capture, and derived after. ``note`` says why it was
        refused or dropped. Its id once committed."""
        write = write_capture(raw_record(request, note), answer)
        capture_id, _ = self.store.writer.run(write)
        self.deriver.hand(RawCapture(int(capture_id), request, note))
        return int(capture_id)

    def stored(self, taken: Taken, capture_id: int, answer: Answer) -> str:
        """After the commit: the deriver takes the request over; the log line; the answer's
        body text."""
        request = taken.request
        self.deriver.hand(RawCapture(capture_id, request, taken.refused))
        capture_log.info(f"capture {capture_id} {request.channel} {request.method} "
                         f"{request.path} -> {answer.status}")
        return default_body(capture_id) if answer.body is None else answer.body

    def prune(self) -> None:
        try:
            self.retention.note_capture()
        except StoreError as exc:  # retention must never cost a capture its answer
            log.warning("pruning failed: %s", exc)

    def forward(self, taken: Taken, capture_id: int) -> None:
        """Tee mode, after the commit, bounded by the forward timeout; only forwarding
        channels pay for it (blocking: the ASGI face runs it on a thread)."""
        request, settings = taken.request, taken.forward_to
        if settings is None:
            return
        upstream = loop_guarded(request) if is_forwarded(request) else forward(
            settings, request, self.clock)
        try:
            self.store.forwards.record_upstream(capture_id, upstream)
        except StoreError as exc:
            log.warning("upstream answer of capture %d not stored: %s", capture_id, exc)

    def _channel_settings(self, channel: str) -> tuple[ChannelSettings, Refusal | None]:
        """The channel's settings, read once per request (answer and verification together)."""
        texts = self.store.channels.settings_texts(channel)
        if texts is None:
            return NO_SETTINGS, None
        try:
            return cached_channel(texts), None
        except SandboxError as exc:  # e.g. an env secret missing in this process
            return NO_SETTINGS, refusal(500, "bad_channel_config",
                                        f"channel {channel!r} settings: {exc.message}")

    def _verify(
        self, profile: Profile, request: InboundRequest, record: CaptureRecord
    ) -> Refusal | None:
        """Record the verdict on the capture; answer the refusal when ``enforce`` refuses."""
        channel = record.channel
        result = judge(
            profile, request, now=self.clock.now(),
            seen_before=lambda key: self.store.captures.accepted_before(channel, key),
            sandbox_keys=self.keyring.trusted() if isinstance(profile, SkanProfile) else (),
        )
        record.verdict = result.verdict
        record.verdict_detail = result.to_dict()
        record.replay_key = stored_replay_key(result)
        status = result.refusal_status(profile.mode)
        return None if status is None else verification_refusal(result, status)
