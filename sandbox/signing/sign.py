"""Sign an outgoing postback per its channel's profile: the sender half of the round trip.

``verify`` (the receiver half) recomputes the same canonical bytes with the same functions, so
what ``sign`` produces verifies by construction.
"""

from __future__ import annotations

from datetime import datetime

from sandbox.signing import webhooks
from sandbox.signing.canonical import render
from sandbox.signing.profiles import (
    HeaderTokenProfile,
    HmacProfile,
    Profile,
    QueryTokenProfile,
    StandardWebhooksProfile,
)
from sandbox.signing.wire import OutgoingRequest, RequestView


def sign(
    profile: Profile, request: OutgoingRequest, *, message_id: str, at: datetime
) -> OutgoingRequest:
    """``request`` with its token or signature added.

    ``message_id`` is the delivery's id, the same on every retry (``webhook-id``); ``at`` is
    this attempt's time (``webhook-timestamp``). Kinds with nothing to add (``none``,
    ``ip_allowlist``, ``skan``: SKAN/AAK bodies are signed when generated) return ``request``.
    """
    if isinstance(profile, QueryTokenProfile):
        return request.with_query_param(profile.param, profile.token.value)
    if isinstance(profile, HeaderTokenProfile):
        token = profile.token.value
        value = f"{profile.scheme} {token}" if profile.scheme else token
        return request.with_header(profile.header, value)
    if isinstance(profile, HmacProfile):
        return _sign_hmac(profile, request)
    if isinstance(profile, StandardWebhooksProfile):
        return _sign_webhook(profile, request, message_id=message_id, at=at)
    return request


def _sign_hmac(profile: HmacProfile, request: OutgoingRequest) -> OutgoingRequest:
    view = RequestView.of_outgoing(request, drop_param=profile.query_param)
    signature = profile.scheme.signature(render(profile.segments, view))
    if profile.header is not None:
        return request.with_header(profile.header, signature)
    return request.with_query_param(profile.query_param or "signature", signature)


def unix_seconds(moment: datetime) -> str:
    return str(int(moment.timestamp()))


def _sign_webhook(
    profile: StandardWebhooksProfile, request: OutgoingRequest, *, message_id: str, at: datetime
) -> OutgoingRequest:
    timestamp = unix_seconds(at)
    header = webhooks.signature_header(profile.secret.value, message_id, timestamp, request.body)
    return (
        request.with_header(webhooks.ID_HEADER, message_id)
        .with_header(webhooks.TIMESTAMP_HEADER, timestamp)
        .with_header(webhooks.SIGNATURE_HEADER, header)
    )
