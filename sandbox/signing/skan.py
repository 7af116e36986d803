"""SKAdNetwork postback signatures: the signed string per version, signing and verifying.

The signed string joins the field values with U+2063 INVISIBLE SEPARATOR in a fixed order per
version (Apple's documentation); booleans render as ``true``/``false``. Conversion values,
``country-code`` and the signature itself are not signed. ECDSA P-256/SHA-256, DER signature
in base64 (P-192 for SKAN 1.0/2.0 keys).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from sandbox.signing.keys import TrustedKey, sign_der
from sandbox.signing.verdict import Verdict, verdict

SEPARATOR = "\u2063"
SIGNATURE_FIELD = "attribution-signature"
# A field ending in "?" is signed only when present; "a|b" signs whichever is present.
_V2_BASE = ("version", "ad-network-id", "campaign-id", "app-id", "transaction-id", "redownload")
FIELD_ORDERS: dict[str, tuple[str, ...]] = {
    "4.0": (
        "version",
        "ad-network-id",
        "source-identifier",
        "app-id",
        "transaction-id",
        "redownload",
        "source-app-id|source-domain",
        "fidelity-type",
        "did-win",
        "postback-sequence-index",
    ),
    "3.0": (*_V2_BASE, "source-app-id?", "fidelity-type", "did-win"),
    "2.2": (*_V2_BASE, "source-app-id", "fidelity-type"),
    "2.1": (*_V2_BASE, "source-app-id"),
    "2.0": (*_V2_BASE, "source-app-id"),
}


class SkanError(ValueError):
    """A postback whose signed string cannot be built (unknown version, missing field)."""


def value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def signed_fields(postback: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The ``(field, text)`` pairs that are signed, in order."""
    version = value_text(postback.get("version", ""))
    order = FIELD_ORDERS.get(version)
    if order is None:
        supported = ", ".join(FIELD_ORDERS)
        raise SkanError(f"version {version or '(none)'!r} is not supported (known: {supported})")
    result = []
    for spec in order:
        optional = spec.endswith("?")
        choices = spec.rstrip("?").split("|")
        present = next((name for name in choices if name in postback), None)
        if present is None:
            if optional or len(choices) > 1:
                continue
            raise SkanError(f"field {spec!r} is signed in version {version} but missing")
        result.append((present, value_text(postback[present])))
    return result


def signed_string(postback: Mapping[str, Any]) -> str:
    return SEPARATOR.join(text for _, text in signed_fields(postback))


def sign_postback(postback: Mapping[str, Any], key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    """A copy of ``postback`` with a deterministic ``attribution-signature`` by ``key``."""
    unsigned = {name: value for name, value in postback.items() if name != SIGNATURE_FIELD}
    signature = sign_der(key, signed_string(unsigned).encode())
    return {**unsigned, SIGNATURE_FIELD: base64.b64encode(signature).decode()}


def verify_postback(postback: Mapping[str, Any], keys: Sequence[TrustedKey]) -> Verdict:
    """``valid`` when any of ``keys`` verifies; the explanation shows the exact signed string."""
    replay_key = _text_or_none(postback.get("transaction-id"))
    received = postback.get(SIGNATURE_FIELD)
    if not isinstance(received, str) or not received:
        return verdict(
            "missing", "skan", "no attribution-signature in the postback", replay_key=replay_key
        )
    try:
        pairs = signed_fields(postback)
    except SkanError as error:
        return verdict(
            "invalid",
            "skan",
            f"cannot build the signed string: {error}",
            replay_key=replay_key,
            received_signature=received,
        )
    message = SEPARATOR.join(text for _, text in pairs)
    explanation = {
        "version": value_text(postback.get("version")),
        "signed_fields": [list(pair) for pair in pairs],
        "expected_signed_string": message,
        "separator": "U+2063",
        "received_signature": received,
        "keys_tried": [key.name for key in keys],
    }
    try:
        signature = base64.b64decode(received, validate=True)
    except (binascii.Error, ValueError):
        return verdict(
            "invalid",
            "skan",
            "attribution-signature is not base64",
            replay_key=replay_key,
            **explanation,
        )
    for key in keys:
        if key.verifies(signature, message.encode()):
            return verdict(
                "valid",
                "skan",
                f"signed by {key.name}",
                replay_key=replay_key,
                key=key.name,
                **explanation,
            )
    return verdict(
        "invalid",
        "skan",
        "no trusted key verifies the signature over the signed string",
        replay_key=replay_key,
        likely_causes=[
            {
                "cause": "altered_field_or_unknown_key",
                "confirmed": False,
                "detail": "a signed field differs from what was signed, or the signer's key is "
                "not trusted here (add its public key to the profile's keys)",
            }
        ],
        **explanation,
    )


def _text_or_none(value: Any) -> str | None:
    return None if value is None else value_text(value)
