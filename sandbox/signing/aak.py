"""AdAttributionKit postbacks: compact JWS, ES256 (RFC 7515: raw 64-byte r||s, base64url).

The ``kid`` header names the key: Apple's ``apple-cas-identifier/0`` in production,
``apple-development-identifier/0|1`` in development, the sandbox key's ``key_id`` for postbacks
the sandbox synthesises. Fields outside the JWS (conversion values, country code) are unsigned.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from sandbox.signing.keys import TrustedKey, sign_der
from sandbox.signing.verdict import Verdict, verdict

COORDINATE_BYTES = 32


class JwsError(ValueError):
    """A string that is not a well-formed ES256 compact JWS."""


@dataclass(frozen=True)
class Jws:
    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes  # raw r||s


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64url_decode(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.b64decode(padded, altchars=b"-_", validate=True)


def sign_jws(payload: Mapping[str, Any], key: ec.EllipticCurvePrivateKey, *, kid: str) -> str:
    """A deterministic compact JWS of ``payload`` (keys kept in the given order)."""
    header = {"kid": kid, "alg": "ES256"}
    signing_input = ".".join(
        b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, payload)
    )
    r, s = decode_dss_signature(sign_der(key, signing_input.encode()))
    raw = r.to_bytes(COORDINATE_BYTES, "big") + s.to_bytes(COORDINATE_BYTES, "big")
    return f"{signing_input}.{b64url(raw)}"


def decode_jws(jws: str) -> Jws:
    parts = jws.strip().split(".")
    if len(parts) != 3:
        raise JwsError(f"expected 3 dot-separated parts, got {len(parts)}")
    try:
        header, payload = (json.loads(b64url_decode(part)) for part in parts[:2])
        signature = b64url_decode(parts[2])
    except (binascii.Error, ValueError, RecursionError):
        raise JwsError("the header, payload or signature is not base64url (JSON)") from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise JwsError("header and payload must be JSON objects")
    if header.get("alg") != "ES256":
        raise JwsError(f"alg must be ES256, got {header.get('alg')!r}")
    if len(signature) != 2 * COORDINATE_BYTES:
        raise JwsError(f"an ES256 signature is 64 bytes (r||s), got {len(signature)}")
    signing_input = f"{parts[0]}.{parts[1]}".encode()
    return Jws(header, payload, signing_input, signature)


def der_signature(raw: bytes) -> bytes:
    half = len(raw) // 2
    r, s = int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big")
    return encode_dss_signature(r, s)


def verify_jws(jws: str, keys: Sequence[TrustedKey]) -> Verdict:
    """``valid`` when the key named by ``kid`` is trusted and verifies the signature."""
    try:
        decoded = decode_jws(jws)
    except JwsError as error:
        return verdict("invalid", "aak", f"not an ES256 compact JWS: {error}")
    replay_key = _identifier(decoded.payload)
    kid = str(decoded.header.get("kid", ""))
    explanation = {
        "header": decoded.header,
        "payload": decoded.payload,
        "expected_signed_string": decoded.signing_input.decode(),
        "kid": kid,
        "keys_tried": [key.name for key in keys],
    }
    signature = der_signature(decoded.signature)
    named = [key for key in keys if key.name == kid]
    if any(key.verifies(signature, decoded.signing_input) for key in named):
        return verdict("valid", "aak", f"signed by {kid}", replay_key=replay_key, **explanation)
    others = [
        key.name
        for key in keys
        if key.name != kid and key.verifies(signature, decoded.signing_input)
    ]
    if others:
        cause = {
            "cause": "kid_mismatch",
            "confirmed": True,
            "detail": f"the kid says {kid!r} but the key {others[0]!r} verifies",
        }
    elif not named:
        cause = {
            "cause": "unknown_kid",
            "confirmed": False,
            "detail": f"no trusted key is named {kid!r}; add its public key to the profile",
        }
    else:
        cause = {
            "cause": "altered_payload",
            "confirmed": False,
            "detail": "the header or payload differs from what was signed",
        }
    summary = f"the JWS signature does not verify with {kid!r}"
    return verdict(
        "invalid", "aak", summary, replay_key=replay_key, likely_causes=[cause], **explanation
    )


def _identifier(payload: Mapping[str, Any]) -> str | None:
    value = payload.get("postback-identifier")
    return None if value is None else str(value)
