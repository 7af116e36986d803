"""EC keys for SKAdNetwork / AdAttributionKit: Apple's public keys and the sandbox's own key.

Public keys travel in Apple's form, base64 of the DER SubjectPublicKeyInfo; the sandbox's
private key is stored as PKCS#8 PEM. Signing is deterministic (RFC 6979), so the same key and
the same postback give the same bytes on every run.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from sandbox.errors import ConfigError

# Apple's published keys, checked against Apple's examples in the test vectors.
APPLE_SKAN_P256 = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEWdp8GPcGqmhgzEFj9Z2nSpQVddayaPe4FMzqM9wib1+aHaaIzoHoLN9z"
    "W4K8y4SPykE3YVK3sVqW6Af0lfx3gg=="
)
APPLE_SKAN_P192 = (
    "MEkwEwYHKoZIzj0CAQYIKoZIzj0DAQEDMgAEMyHD625uvsmGq4C43cQ9BnfN2xslVT5V1nOmAMP6qaRRUll3PB1JYmgS"
    "m+62sosG"
)
APPLE_AAK_KEYS = {
    "apple-cas-identifier/0": APPLE_SKAN_P256,
    "apple-development-identifier/0": (
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAELeEDzpJEP+/qRSE5hJVC1p1J0ssUnQGMzBBbvnACBok8OVGGLgxL"
        "0myrKiy6lvRtSlLRsWit87i+vftD8AEqeQ=="
    ),
    "apple-development-identifier/1": (
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE8YzdO7eM97s/IJ25kdW5CZ3A14USE5IJ5Ha/vhWaxI6UBI1ZxCEv"
        "jrKxVluVGe6qWwF1BDFq+QHqKfH5u+wxHQ=="
    ),
}
APPLE_SKAN_KEYS = {"apple-skan-2.1+": APPLE_SKAN_P256, "apple-skan-1.0-2.0": APPLE_SKAN_P192}

SIGNATURE_ALGORITHM = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
VERIFY_ALGORITHM = ec.ECDSA(hashes.SHA256())


@dataclass(frozen=True)
class TrustedKey:
    """A public key a receiver accepts, with the name (AAK ``kid``) it is known by."""

    name: str
    public_key: ec.EllipticCurvePublicKey

    @classmethod
    def from_b64(cls, name: str, spki_b64: str) -> TrustedKey:
        return cls(name, load_public_key(spki_b64))

    def verifies(self, signature_der: bytes, message: bytes) -> bool:
        try:
            self.public_key.verify(signature_der, message, VERIFY_ALGORITHM)
        except InvalidSignature:
            return False
        return True


def apple_skan_keys() -> list[TrustedKey]:
    return [TrustedKey.from_b64(name, key) for name, key in APPLE_SKAN_KEYS.items()]


def apple_aak_keys() -> list[TrustedKey]:
    return [TrustedKey.from_b64(kid, key) for kid, key in APPLE_AAK_KEYS.items()]


def load_public_key(spki_b64: str) -> ec.EllipticCurvePublicKey:
    """Apple's base64 DER SPKI form to a key; ConfigError when it is not an EC public key."""
    try:
        key = serialization.load_der_public_key(base64.b64decode(spki_b64, validate=True))
    except (binascii.Error, ValueError, UnsupportedAlgorithm):
        key = None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ConfigError("expected an EC public key as base64 DER SubjectPublicKeyInfo")
    return key


def public_key_b64(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> str:
    """Apple's published form: base64 of the DER SubjectPublicKeyInfo."""
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def key_id(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> str:
    """A stable name for a sandbox key (its AAK ``kid``): a fingerprint of the public key."""
    fingerprint = hashlib.sha256(base64.b64decode(public_key_b64(key))).hexdigest()
    return f"sandbox/{fingerprint[:16]}"


def generate_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def private_key_to_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def private_key_from_pem(pem: str) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        key = None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ConfigError("expected an unencrypted P-256 private key in PEM (PKCS#8) form")
    return key


def sandbox_trusted_key(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> TrustedKey:
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    return TrustedKey(key_id(public), public)


def sign_der(key: ec.EllipticCurvePrivateKey, message: bytes) -> bytes:
    """A deterministic (RFC 6979) ECDSA P-256/SHA-256 signature, DER-encoded."""
    return key.sign(message, SIGNATURE_ALGORITHM)
