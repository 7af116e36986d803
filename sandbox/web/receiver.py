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
from sandbox.channels import (
    DEFAULT_ANSWER,
    Answer,
    ChannelAnswer,
    decide,
    default_body,
    parse_answer,
)
from sandbox.clock import Clock, iso_utc
from sandbox.errors import SandboxError
from sandbox.store import Store

log = logging.getLogger("sandbox.capture")
StartResponse = Callable[..., Any]
REFUSED_PREFIX_BYTES = 4096
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class ReceiverLimits:
    max_body: int = 1024 * 1024
    max_decoded: int = 16 * 1024 * 1024


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
        headers.append(("-".join(p.capitalize() for p in name.split("_")), _text(value)))
    return headers


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


@functools.lru_cache(maxsize=256)
def _parse_settings(text: str) -> ChannelAnswer:
    return parse_answer(json.loads(text))


@dataclass(frozen=True)
class Refusal:
    reason: str  # stored with the capture: "code: message"
    answer: Answer


def error_answer(status: int, code: str, message: str) -> Answer:
    body = SandboxError(message, code=code, status=status).to_dict()
    return Answer(status, {"Content-Type": "application/json"}, json.dumps(body), 0)


def refusal(status: int, code: str, message: str) -> Refusal:
    return Refusal(f"{code}: {message}", error_answer(status, code, message))


class Receiver:
    def __init__(self, store: Store, clock: Clock, limits: ReceiverLimits) -> None:
        self.store = store
        self.clock = clock
        self.limits = limits

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = request_path(environ)
        channel, channel_problem = channel_of(path)
        body, size, too_large = read_body(environ, self.limits.max_body)
        request = InboundRequest(
            method=environ.get("REQUEST_METHOD", "GET").upper(),
            path=path,
            query_string=_text(environ.get("QUERY_STRING", "")),
            headers=request_headers(environ),
            body=body,
            remote_addr=environ.get("REMOTE_ADDR"),
            received_at=iso_utc(self.clock.now()),
            body_size=size,
            channel=channel,
        )
        refused = self._refusal(too_large, size, channel_problem)
        record = build_record(
            request, decoded_limit=self.limits.max_decoded,
            refused=refused.reason if refused else None,
        )
        try:
            capture_id, answer = self._store(record, refused)
        except sqlite3.Error as exc:
            log.error("capture not stored: %s", exc)
            answer = error_answer(503, "not_stored", f"the capture was not stored: {exc}")
            return self._respond(start_response, request.method, answer, answer.body or "")
        log.info("capture %d %s %s %s -> %d", capture_id, channel, request.method, path,
                 answer.status)
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

    def _store(self, record: CaptureRecord, refused: Refusal | None) -> tuple[int, Answer]:
        if refused is not None:
            return self.store.captures.insert(record, refused.answer), refused.answer
        settings_text = self.store.channels.settings_json(record.channel)
        settings = DEFAULT_ANSWER if settings_text is None else _parse_settings(settings_text)
        if settings.counts_requests:
            return self.store.captures.insert_numbered(record, lambda n: decide(settings, n))
        answer = decide(settings, 0)
        return self.store.captures.insert(record, answer), answer

    @staticmethod
    def _respond(
        start_response: StartResponse, method: str, answer: Answer, text: str
    ) -> Iterable[bytes]:
        payload = text.encode("utf-8")
        headers = {"Content-Type": "application/json", **answer.headers}
        headers["Content-Length"] = str(len(payload))
        start_response(f"{answer.status} {_reason(answer.status)}", list(headers.items()))
        return [b""] if method == "HEAD" else [payload]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
