"""Derivation: a stored raw capture becomes a whole record. Pure: the raw row (and the
channel's settings) in, the record out; nothing here reads the clock.

The request path commits only the raw request and its answer (``record.raw_record``); this
is the interpretation it leaves for later: the query, form and JSON views, the keys, the
lint, and the verdict of a channel that only flags. It runs ``build_record``, the same
function the request path ran before derivation moved off it, on the request rebuilt from
its stored parts, so a derived capture is the capture the inline path would have stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sandbox.capture.record import (
    CaptureRecord,
    InboundRequest,
    ParseLimits,
    build_record,
    raw_record,
)
from sandbox.capture.trust import judge, stored_replay_key
from sandbox.settings import Settings
from sandbox.signing import Profile, TrustedKey
from sandbox.store.records import StoredCapture


@dataclass(frozen=True)
class DeriveLimits:
    """What interpreting one body may cost (the receiver's decode and parse limits)."""

    decoded: int = 1024 * 1024
    parse: ParseLimits = ParseLimits()

    @classmethod
    def of(cls, settings: Settings) -> DeriveLimits:
        return cls(settings.max_decoded_body, ParseLimits.of(settings))


def inbound(capture: StoredCapture) -> InboundRequest:
    """The request as it arrived, from its stored raw parts."""
    return InboundRequest(
        method=capture.method, path=capture.path, query_string=capture.query_string,
        headers=[(name, value) for name, value in capture.headers], body=capture.body,
        remote_addr=capture.remote_addr, received_at=capture.received_at,
        body_size=capture.body_size, channel=capture.channel,
    )


def derive(
    capture: StoredCapture, limits: DeriveLimits, *, profile: Profile | None = None,
    seen_before: Callable[[str], bool] = lambda key: False,
    sandbox_keys: tuple[TrustedKey, ...] = (),
) -> CaptureRecord:
    """The whole record of a raw capture. ``profile`` is the channel's verification profile:
    a capture without a verdict yet (the channel flags rather than enforces) is judged here,
    as of when it was received; ``seen_before`` answers whether an earlier capture on the
    channel was accepted under the same replay key."""
    request = inbound(capture)
    record = build_record(request, decoded_limit=limits.decoded, refused=capture.refused,
                          parse_limits=limits.parse)
    record.verdict, record.verdict_detail = capture.verdict, capture.verdict_detail
    record.replay_key = capture.replay_key
    if profile is not None and capture.verdict is None and capture.refused is None:
        result = judge(profile, request, now=received(capture), seen_before=seen_before,
                       sandbox_keys=sandbox_keys)
        record.verdict, record.verdict_detail = result.verdict, result.to_dict()
        record.replay_key = stored_replay_key(result)
    return record


def received(capture: StoredCapture) -> datetime:
    return datetime.fromisoformat(capture.received_at.replace("Z", "+00:00"))


def not_derived(capture: StoredCapture, error: BaseException) -> CaptureRecord:
    """What a capture that derivation failed on is stored as: its raw parts and a note, so a
    bug in one interpretation never holds back every read behind it."""
    record = raw_record(inbound(capture), capture.refused)
    record.verdict, record.verdict_detail = capture.verdict, capture.verdict_detail
    record.replay_key = capture.replay_key
    record.body_note = f"not derived: {type(error).__name__}: {error}"
    return record
