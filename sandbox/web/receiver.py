"""The capture path: a lean WSGI callable that records every request and answers after commit.

It sits in front of the Flask app (see ``entry.py``) because routing through Flask costs more
than the capture itself; it shares the store, the capture core and the channel rules with it.
"""

from __future__ import annotations

import functools
import json
import logging
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from sandbox.capture import (
    CHANNEL_PATTERN,
    DEFAULT_CHANNEL,
    CaptureRecord,
    InboundRequest,
    build_record,
)
from sandbox.channels import Answer, decide, default_body
from sandbox.clock import Clock, iso_utc
from sandbox.errors import SandboxError
from sandbox.live.forward import ForwardSettings, forward, is_forwarded, loop_guarded
from sandbox.settings import Settings
from sandbox.signing import Profile, SkanProfile, Verdict
from sandbox.skan.keyring import SandboxKeyring
from sandbox.store import Store
from sandbox.store.retention import Retention, RetentionPolicy
from sandbox.trust import ChannelSettings, judge, parse_channel, stored_replay_key

log = logging.getLogger("sandbox.capture")
StartResponse = Callable[..., Any]
REFUSED_PREFIX_BYTES = 4096
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class ReceiverLimits:
    max_body: int = 1024 * 1024
    max_decoded: int = 16 * 1024 * 1024
    max_headers: int = 100
    max_header_bytes: int = 32 * 1024
    max_url: int = 8 * 1024
    max_json_depth: int = 64

    @classmethod
    def from_settings(cls, settings: Settings) -> ReceiverLimits:
        return cls(
            max_body=settings.max_body, max_decoded=settings.max_decoded_body,
            max_headers=settings.max_headers, max_header_bytes=settings.max_header_bytes,
            max_url=settings.max_url, max_json_depth=settings.max_json_depth,
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


def request_path(environ: dict[str, Any]) -> str:
    """The path as sent (percent-encoding kept) where the server tells it, else re-encoded."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return str(raw).split("?", 1)[0]
    path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")
    return quote(path, safe="/:@!$&'()*+,;=-._~%")


def request_headers(environ: dict[str, Any]) -> list[tuple[str, str]]:
    """Headers as the WSGI server delivers them: CGI names turned back into Header-Case."""
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:]
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if not value:
                continue
            name = key
        else:
            continue
        headers.append((_header_case(name), _text(value)))
    return headers


@functools.lru_cache(maxsize=1024)
def _header_case(cgi_name: str) -> str:
    return "-".join(part.capitalize() for part in cgi_name.split("_"))


def _text(value: str) -> str:
    # WSGI hands header values over as latin-1; most senders meant UTF-8.
    raw = value.encode("latin-1", "replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return value


def read_body(environ: dict[str, Any], limit: int) -> tuple[bytes, int, bool]:
    """(body, full size, too large). A body over the limit keeps only its first bytes."""
    stream = environ["wsgi.input"]
    declared = environ.get("CONTENT_LENGTH")
    size = int(declared) if declared and declared.isdigit() else None
    if size is not None and size > limit:
        return stream.read(REFUSED_PREFIX_BYTES), size, True
    if size is not None:
        body = stream.read(size) if size else b""
        return body, len(body), False
    chunks, total = [], 0
    while total <= limit:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    body = b"".join(chunks)
    if total > limit:
        return body[:REFUSED_PREFIX_BYTES], total, True
    return body, total, False


NO_SETTINGS = ChannelSettings()


@functools.lru_cache(maxsize=256)
def _parse_settings(texts: tuple[str, str | None, str | None]) -> ChannelSettings:
    return parse_channel(*texts)


@dataclass(frozen=True)
class Refusal:
    reason: str  # stored with the capture: "code: message"
    answer: Answer


def error_answer(status: int, code: str, message: str) -> Answer:
    body = SandboxError(message, code=code, status=status).to_dict()
    return Answer(status, {"Content-Type": "application/json"}, json.dumps(body), 0)


def refusal(status: int, code: str, message: str) -> Refusal:
    return Refusal(f"{code}: {message}", error_answer(status, code, message))


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


def verification_refusal(result: Verdict, status: int) -> Refusal:
    """The enforce answer: the one error shape; the code names the verdict, the message says
    what was wrong without revealing the expected token or signature."""
    code = f"verification_{result.verdict}"
    message = f"{result.kind} verification: {result.summary}"
    answer = error_answer(status, code, message)
    answer.headers["X-Sandbox-Verdict"] = result.verdict
    return Refusal(f"{code}: {result.summary}", answer)


class Receiver:
    def __init__(
        self, store: Store, clock: Clock, limits: ReceiverLimits,
        retention: RetentionPolicy | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.limits = limits
        self.retention = Retention(store, retention or RetentionPolicy(), clock)
        self.keyring = SandboxKeyring(store)  # read only for channels with a skan profile

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = request_path(environ)
        channel, channel_problem = channel_of(path)
        query_string = _text(environ.get("QUERY_STRING", ""))
        headers = request_headers(environ)
        refused = head_refusal(path, query_string, headers, self.limits)
        if refused is None:
            body, size, too_large = read_body(environ, self.limits.max_body)
            refused = self._refusal(too_large, size, channel_problem)
        else:
            body, size = b"", _declared_size(environ)
        request = InboundRequest(
            method=environ.get("REQUEST_METHOD", "GET").upper(),
            path=path,
            query_string=query_string,
            headers=headers,
            body=body,
            remote_addr=environ.get("REMOTE_ADDR"),
            received_at=iso_utc(self.clock.now()),
            body_size=size,
            channel=channel,
        )
        record = build_record(
            request, decoded_limit=self.limits.max_decoded,
            refused=refused.reason if refused else None,
            max_json_depth=self.limits.max_json_depth,
        )
        try:
            capture_id, answer, forward_to = self._store(request, record, refused)
        except sqlite3.Error as exc:
            log.error("capture not stored: %s", exc)
            answer = error_answer(503, "not_stored", f"the capture was not stored: {exc}")
            return self._respond(start_response, request.method, answer, answer.body or "")
        log.info("capture %d %s %s %s -> %d", capture_id, channel, request.method, path,
                 answer.status)
        self._prune()
        if forward_to is not None:
            self._forward(capture_id, forward_to, request)
        if answer.delay_ms:
            self.clock.sleep(answer.delay_ms / 1000)
        text = default_body(capture_id) if answer.body is None else answer.body
        return self._respond(start_response, request.method, answer, text)

    def _refusal(self, too_large: bool, size: int, channel_problem: str | None) -> Refusal | None:
        if too_large:
            return refusal(
                413, "body_too_large",
                f"body of {size} bytes exceeds the limit of {self.limits.max_body} bytes; "
                "recorded with its first bytes",
            )
        if channel_problem:
            return refusal(400, "bad_channel", channel_problem)
        return None

    def _store(
        self, request: InboundRequest, record: CaptureRecord, refused: Refusal | None
    ) -> tuple[int, Answer, ForwardSettings | None]:
        """(capture id, answer, where to forward it after the commit)."""
        if refused is None:
            settings, refused = self._channel_settings(record.channel)
        if refused is None and settings.profile is not None:
            refused = self._verify(settings.profile, request, record)
        if refused is not None:
            record.refused = refused.reason
            return self.store.captures.insert(record, refused.answer), refused.answer, None
        answer_settings = settings.answer
        if answer_settings.counts_requests:
            capture_id, answer = self.store.captures.insert_numbered(
                record, lambda n: decide(answer_settings, n)
            )
            return capture_id, answer, settings.forward
        answer = decide(answer_settings, 0)
        return self.store.captures.insert(record, answer), answer, settings.forward

    def _forward(self, capture_id: int, settings: ForwardSettings,
                 request: InboundRequest) -> None:
        """Tee mode: after the commit, in this request's thread, bounded by the forward
        timeout; only forwarding channels pay for it."""
        upstream = loop_guarded(request) if is_forwarded(request) else forward(
            settings, request, self.clock)
        try:
            self.store.forwards.record_upstream(capture_id, upstream)
        except sqlite3.Error as exc:
            log.warning("upstream answer of capture %d not stored: %s", capture_id, exc)

    def _channel_settings(self, channel: str) -> tuple[ChannelSettings, Refusal | None]:
        """The channel's settings, read once per request (answer and verification together)."""
        texts = self.store.channels.settings_texts(channel)
        if texts is None:
            return NO_SETTINGS, None
        try:
            return _parse_settings(texts), None
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

    def _prune(self) -> None:
        try:
            self.retention.note_capture()
        except sqlite3.Error as exc:  # retention must never cost a capture its answer
            log.warning("pruning failed: %s", exc)

    def respond(self, start_response: StartResponse, answer: Answer) -> Iterable[bytes]:
        """Answer without recording (the sandbox's own routes use it for 414/431)."""
        return self._respond(start_response, "GET", answer, answer.body or "")

    @staticmethod
    def _respond(
        start_response: StartResponse, method: str, answer: Answer, text: str
    ) -> Iterable[bytes]:
        payload = text.encode("utf-8")
        headers = {"Content-Type": "application/json", **answer.headers}
        headers["Content-Length"] = str(len(payload))
        start_response(f"{answer.status} {_reason(answer.status)}", list(headers.items()))
        return [b""] if method == "HEAD" else [payload]


def _declared_size(environ: dict[str, Any]) -> int:
    declared = environ.get("CONTENT_LENGTH")
    return int(declared) if declared and declared.isdigit() else 0


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
