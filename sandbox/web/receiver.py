"""The WSGI face of the capture path: what the in-process app and its tests call.

The served path is the ASGI face (``capture_asgi.py``); both read a request their own way and
share everything else through ``CaptureDesk`` (``capture_rules.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from sandbox.capture.channels import Answer
from sandbox.capture.record import InboundRequest
from sandbox.clock import iso_utc
from sandbox.store.records import StoreError
from sandbox.web.capture_rules import (
    REFUSED_PREFIX_BYTES,
    CaptureDesk,
    ReceiverLimits,
    body_refusal,
    channel_of,
    head_refusal,
    not_stored,
    text_of,
)

__all__ = ["Receiver", "ReceiverLimits", "head_refusal", "request_headers", "request_path"]

StartResponse = Callable[..., Any]
_CHUNK = 64 * 1024


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
    return text_of(value.encode("latin-1", "replace"))


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


class Receiver:
    def __init__(self, desk: CaptureDesk) -> None:
        self.desk = desk
        self.store = desk.store
        self.clock = desk.clock
        self.limits = desk.limits

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = request_path(environ)
        channel, channel_problem = channel_of(path)
        query_string = _text(environ.get("QUERY_STRING", ""))
        headers = request_headers(environ)
        refused = head_refusal(path, query_string, headers, self.limits)
        if refused is None:
            body, size, too_large = read_body(environ, self.limits.max_body)
            refused = body_refusal(self.limits, too_large=too_large, size=size,
                                   channel_problem=channel_problem)
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
        taken = self.desk.take(request, refused)
        try:
            capture_id, answer = self.store.writer.run(taken.write)
        except StoreError as exc:
            answer = not_stored(exc)
            return self._respond(start_response, request.method, answer, answer.body or "")
        text = self.desk.stored(taken, capture_id, answer)
        self.desk.prune()
        self.desk.forward(taken, capture_id)
        if answer.delay_ms:
            self.clock.sleep(answer.delay_ms / 1000)
        return self._respond(start_response, request.method, answer, text)

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
