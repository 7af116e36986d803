"""Derivation: a capture committed raw becomes a whole record. Pure: the raw request in, the
record out; nothing here reads the clock or the store.

The request path commits only the raw request, its answer and (for a channel that verifies)
its verdict; this is the interpretation it leaves for later: the query, form and JSON views,
the keys and the lint. It runs ``build_record``, the function the request path ran before
derivation moved off it, so a derived capture is the capture the inline path would have
stored (``tests/test_derive.py`` holds the two equal).
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.capture.record import (
    CaptureRecord,
    InboundRequest,
    ParseLimits,
    build_record,
    raw_record,
)
from sandbox.store.records import StoredCapture


@dataclass(frozen=True)
class DeriveLimits:
    """What interpreting one body may cost (the receiver's decode and parse limits)."""

    decoded: int = 1024 * 1024
    parse: ParseLimits = ParseLimits()


@dataclass(frozen=True, slots=True)
class RawCapture:
    """A capture committed raw: its id, the request as it arrived, why it was refused."""

    id: int
    request: InboundRequest
    refused: str | None = None


def inbound(capture: StoredCapture) -> RawCapture:
    """A stored raw capture, as the process that took it held it."""
    request = InboundRequest(
        method=capture.method, path=capture.path, query_string=capture.query_string,
        headers=[(name, value) for name, value in capture.headers], body=capture.body,
        remote_addr=capture.remote_addr, received_at=capture.received_at,
        body_size=capture.body_size, channel=capture.channel,
    )
    return RawCapture(capture.id, request, capture.refused)


def derive(raw: RawCapture, limits: DeriveLimits) -> CaptureRecord:
    """The whole record of a raw capture."""
    return build_record(raw.request, decoded_limit=limits.decoded, refused=raw.refused,
                        parse_limits=limits.parse)


def not_derived(raw: RawCapture, error: BaseException) -> CaptureRecord:
    """What a capture that derivation failed on is stored as: its raw parts and a note, so a
    bug in one interpretation never holds back every read behind it."""
    record = raw_record(raw.request, raw.refused)
    record.body_note = f"not derived: {type(error).__name__}: {error}"
    return record
