"""Verify an incoming postback against its channel's profile: the receiver half.

Order of checks: the source address against ``cidrs`` (``not_allowlisted``), then the kind's
token or signature (``missing`` / ``invalid``), then freshness (``stale``), then replay.

Replay rule (the receiver implements ``seen_before`` with its store): an id (``webhook-id``,
SKAN ``transaction-id``, AdAttributionKit ``postback-identifier``) is a replay only if an
earlier capture carrying it was answered 2xx. An earlier capture answered otherwise (a forced
500, a refusal) makes this one a retry, which must pass. ``seen_before`` is called only for
requests whose signature is valid, and must not count the capture being verified.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence
from datetime import datetime

from sandbox.signing.aak import verify_jws
from sandbox.signing.keys import (
    TrustedKey,
    apple_aak_keys,
    apple_skan_keys,
    key_id,
    load_public_key,
)
from sandbox.signing.profiles import (
    HeaderTokenProfile,
    HmacProfile,
    Profile,
    QueryTokenProfile,
    SkanProfile,
    StandardWebhooksProfile,
)
from sandbox.signing.shared_secret import (
    SeenBefore,
    verify_header_token,
    verify_hmac,
    verify_query_token,
    verify_webhook,
)
from sandbox.signing.skan import verify_postback
from sandbox.signing.verdict import Verdict, verdict
from sandbox.signing.wire import IncomingRequest


def verify(
    profile: Profile,
    request: IncomingRequest,
    *,
    now: datetime,
    seen_before: SeenBefore | None = None,
    sandbox_keys: Sequence[TrustedKey] = (),
) -> Verdict:
    """The verdict on ``request``. ``now`` is the receiver clock's time; ``sandbox_keys`` are
    the sandbox's own SKAN/AAK public keys (current and rotated-out) for ``skan`` profiles."""
    outside = _outside_allowlist(profile, request.remote_addr)
    if outside is not None:
        return outside
    if isinstance(profile, QueryTokenProfile):
        return verify_query_token(profile, request)
    if isinstance(profile, HeaderTokenProfile):
        return verify_header_token(profile, request)
    if isinstance(profile, HmacProfile):
        return verify_hmac(profile, request)
    if isinstance(profile, StandardWebhooksProfile):
        return verify_webhook(profile, request, now=now, seen_before=seen_before)
    if isinstance(profile, SkanProfile):
        return _verify_apple(profile, request, seen_before, sandbox_keys)
    if profile.cidrs:
        return verdict("valid", profile.kind, f"source {request.remote_addr} is allowlisted")
    return verdict("valid", profile.kind, "no verification configured")


def _outside_allowlist(profile: Profile, remote_addr: str | None) -> Verdict | None:
    if not profile.cidrs:
        return None
    allowed = [str(network) for network in profile.cidrs]
    address = _parse_address(remote_addr)
    if address is None:
        return verdict(
            "not_allowlisted",
            profile.kind,
            f"source address {remote_addr!r} is not an IP address",
            allowed=allowed,
        )
    if any(address in network for network in profile.cidrs):
        return None
    return verdict(
        "not_allowlisted",
        profile.kind,
        f"source {address} is outside the allowlist",
        remote_addr=str(address),
        allowed=allowed,
    )


def _parse_address(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not text:
        return None
    try:
        address = ipaddress.ip_address(text.strip().strip("[]").split("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def trusted_keys(profile: SkanProfile, sandbox_keys: Sequence[TrustedKey]) -> list[TrustedKey]:
    """The profile's configured keys and the sandbox's; Apple's are added per format."""
    configured = [
        TrustedKey(key_id(load_public_key(text)), load_public_key(text)) for text in profile.keys
    ]
    return [*configured, *sandbox_keys]


def _verify_apple(
    profile: SkanProfile,
    request: IncomingRequest,
    seen_before: SeenBefore | None,
    sandbox_keys: Sequence[TrustedKey],
) -> Verdict:
    try:
        document = json.loads(request.body)
    except (ValueError, RecursionError):
        document = None
    if not isinstance(document, dict):
        return verdict(
            "missing",
            profile.kind,
            "the body is not a JSON object, so it carries no attribution-signature or jws-string",
        )
    keys = trusted_keys(profile, sandbox_keys)
    if "jws-string" in document:
        apple = apple_aak_keys() if profile.trust_apple else []
        result = verify_jws(str(document["jws-string"]), [*apple, *keys])
        id_name = "postback-identifier"
    else:
        apple = apple_skan_keys() if profile.trust_apple else []
        result = verify_postback(document, [*apple, *keys])
        id_name = "transaction-id"
    if result.ok and result.replay_key and seen_before and seen_before(result.replay_key):
        return result.with_verdict("replayed", f"duplicate {id_name} {result.replay_key}")
    return result
