"""Verification of shared-secret schemes: query and header tokens, HMAC, Standard Webhooks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from sandbox.signing import webhooks
from sandbox.signing.canonical import MacScheme, QueryStyle, render, same, uses_query
from sandbox.signing.explain import cause, likely_causes, secret_variants, show
from sandbox.signing.profiles import (
    HeaderTokenProfile,
    HmacProfile,
    QueryTokenProfile,
    StandardWebhooksProfile,
)
from sandbox.signing.verdict import Verdict, verdict
from sandbox.signing.wire import IncomingRequest, RequestView, query_pairs

SeenBefore = Callable[[str], bool]


def verify_query_token(profile: QueryTokenProfile, request: IncomingRequest) -> Verdict:
    token, param = profile.token.value, profile.param
    pairs = query_pairs(request.query_string)
    values = [value for name, value in pairs if name == param]
    if not values:
        causes = [
            cause("wrong_parameter_name", f"the token was sent as {name!r}, not {param!r}")
            for name, value in pairs
            if same(value, token)
        ]
        return verdict(
            "missing",
            profile.kind,
            f"no {param!r} query parameter",
            parameter=param,
            likely_causes=causes,
        )
    if any(same(value, token) for value in values):
        return verdict("valid", profile.kind, f"token in query parameter {param!r} matches")
    return verdict(
        "invalid",
        profile.kind,
        f"query parameter {param!r} has the wrong token",
        parameter=param,
        received_token=values[0],
        likely_causes=_token_causes(values[0], token),
    )


def verify_header_token(profile: HeaderTokenProfile, request: IncomingRequest) -> Verdict:
    token, header, scheme = profile.token.value, profile.header, profile.scheme
    received = request.header(header)
    if received is None:
        causes = [
            cause("token_in_query", f"the token was sent as query parameter {name!r}")
            for name, value in query_pairs(request.query_string)
            if same(value, token)
        ]
        return verdict(
            "missing", profile.kind, f"no {header} header", header=header, likely_causes=causes
        )
    sent_scheme, _, sent_token = received.strip().partition(" ")
    if scheme is None:
        sent_scheme, sent_token = "", received.strip()
    if sent_scheme.lower() == (scheme or "").lower() and same(sent_token.strip(), token):
        return verdict("valid", profile.kind, f"token in header {header} matches")
    if scheme is not None and same(received.strip(), token):
        causes = [cause("missing_scheme", f"the token came without the {scheme!r} scheme")]
    elif scheme is None and same(received.strip().partition(" ")[2], token):
        causes = [
            cause(
                "unexpected_scheme",
                "the token came with a scheme the profile does not "
                "expect (set scheme in the profile)",
            )
        ]
    else:
        causes = _token_causes(sent_token, token)
    return verdict(
        "invalid",
        profile.kind,
        f"header {header} has the wrong token",
        header=header,
        expected_scheme=scheme,
        received_value=received,
        likely_causes=causes,
    )


def _token_causes(received: str, token: str) -> list[dict[str, Any]]:
    if same(received.strip(), token):
        return [cause("token_whitespace", "the token has surrounding whitespace")]
    if same(unquote(received), token):
        return [cause("token_double_encoded", "the token was percent-encoded twice")]
    return [
        cause(
            "wrong_token",
            f"a different token ({len(received)} characters) was sent",
            confirmed=False,
        )
    ]


def verify_hmac(profile: HmacProfile, request: IncomingRequest) -> Verdict:
    if profile.header is not None:
        location, received = f"header {profile.header}", request.header(profile.header)
    else:
        location = f"query parameter {profile.query_param}"
        sent = [v for k, v in query_pairs(request.query_string) if k == profile.query_param]
        received = sent[0] if sent else None
    if not received:
        return verdict("missing", profile.kind, f"no signature in {location}", location=location)
    view = RequestView.of_incoming(request, drop_param=profile.query_param)
    segments = profile.segments

    def build(variant: RequestView, style: QueryStyle | None) -> bytes:
        return render(segments, variant, query_style=style)

    message = build(view, None)
    scheme = profile.scheme
    if scheme.accepts(received, message):
        return verdict("valid", profile.kind, f"HMAC-{profile.algorithm.upper()} matches")
    causes = likely_causes(
        scheme,
        view,
        build,
        [received],
        secret_variants(profile.secret.value, webhook=False),
        query_sensitive=uses_query(segments),
    )
    return verdict(
        "invalid",
        profile.kind,
        f"HMAC-{profile.algorithm.upper()} in {location} does not match",
        location=location,
        **_mismatch(scheme, view, message, received, causes, template=profile.template),
    )


def verify_webhook(
    profile: StandardWebhooksProfile,
    request: IncomingRequest,
    *,
    now: datetime,
    seen_before: SeenBefore | None,
) -> Verdict:
    message_id = request.header(webhooks.ID_HEADER)
    timestamp = request.header(webhooks.TIMESTAMP_HEADER)
    signature = request.header(webhooks.SIGNATURE_HEADER)
    if not message_id or not timestamp or not signature:
        absent = [
            name
            for name, value in (
                (webhooks.ID_HEADER, message_id),
                (webhooks.TIMESTAMP_HEADER, timestamp),
                (webhooks.SIGNATURE_HEADER, signature),
            )
            if not value
        ]
        return verdict(
            "missing",
            profile.kind,
            f"missing header(s): {', '.join(absent)}",
            replay_key=message_id,
            missing_headers=absent,
        )
    if not _is_unix_seconds(timestamp):
        return verdict(
            "invalid",
            profile.kind,
            "webhook-timestamp is not integer unix seconds",
            replay_key=message_id,
            received_timestamp=timestamp,
        )
    skew = int(now.timestamp()) - int(timestamp)
    stale = _stale_cause(skew, profile.tolerance_seconds)
    view = RequestView.of_incoming(request, drop_param=None)

    def build(variant: RequestView, style: QueryStyle | None) -> bytes:
        return webhooks.signed_content(message_id, timestamp, variant.body)

    scheme = MacScheme(
        webhooks.webhook_key(profile.secret.value), "sha256", "base64", webhooks.VERSION_PREFIX
    )
    message, entries = build(view, None), signature.split()
    if not any(scheme.accepts(entry, message) for entry in entries):
        causes = likely_causes(
            scheme,
            view,
            build,
            entries,
            secret_variants(profile.secret.value, webhook=True),
            query_sensitive=False,
        )
        causes += [{**stale, "confirmed": False}] if stale else []
        return verdict(
            "invalid",
            profile.kind,
            "no v1 entry of webhook-signature matches",
            replay_key=message_id,
            skew_seconds=skew,
            **_mismatch(scheme, view, message, signature, causes, template=None),
        )
    if stale:
        return verdict(
            "stale",
            profile.kind,
            stale["detail"],
            replay_key=message_id,
            skew_seconds=skew,
            likely_causes=[stale],
        )
    if seen_before is not None and seen_before(message_id):
        return verdict(
            "replayed",
            profile.kind,
            f"webhook-id {message_id} was already accepted",
            replay_key=message_id,
        )
    return verdict(
        "valid",
        profile.kind,
        "Standard Webhooks v1 signature matches",
        replay_key=message_id,
        skew_seconds=skew,
    )


def _is_unix_seconds(text: str) -> bool:
    digits = text.strip()
    return digits.isascii() and digits.isdigit() and len(digits) <= 15


def _stale_cause(skew: int, tolerance: int) -> dict[str, Any] | None:
    if abs(skew) <= tolerance:
        return None
    direction = "in the past" if skew > 0 else "in the future"
    return cause(
        "stale_timestamp",
        f"webhook-timestamp is {abs(skew)} s {direction} (tolerance "
        f"{tolerance} s): the sender's clock is off, or an old message was re-sent "
        "with its original headers",
    )


def _mismatch(
    scheme: MacScheme,
    view: RequestView,
    message: bytes,
    received: str,
    causes: list[dict[str, Any]],
    *,
    template: str | None,
) -> dict[str, Any]:
    return {
        "expected_canonical": show(message),
        "template": template,
        "received": {
            "method": view.method,
            "path": view.path,
            "query": view.raw_query,
            "body": show(view.body),
        },
        "algorithm": scheme.algorithm,
        "encoding": scheme.encoding,
        "prefix": scheme.prefix,
        "expected_signature": scheme.signature(message),
        "received_signature": received,
        "likely_causes": causes,
    }
