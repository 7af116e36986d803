"""Standard Webhooks v1 primitives (symmetric, HMAC-SHA256).

Signed content is ``{webhook-id}.{webhook-timestamp}.{raw body}``; the key is the secret
base64-decoded after its ``whsec_`` prefix; ``webhook-signature`` is a space-separated list of
``v1,<base64>`` entries so a sender can rotate secrets.
"""

from __future__ import annotations

import base64

from sandbox.signing.canonical import digest, encode

WEBHOOK_SECRET_PREFIX = "whsec_"
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
VERSION_PREFIX = "v1,"


def webhook_key(secret: str) -> bytes:
    """The HMAC key of a secret; raises ValueError when it is not base64."""
    return base64.b64decode(secret.removeprefix(WEBHOOK_SECRET_PREFIX), validate=True)


def signed_content(message_id: str, timestamp: str, body: bytes) -> bytes:
    return f"{message_id}.{timestamp}.".encode() + body


def signature_header(secret: str, message_id: str, timestamp: str, body: bytes) -> str:
    raw = digest(webhook_key(secret), signed_content(message_id, timestamp, body), "sha256")
    return VERSION_PREFIX + encode(raw, "base64")
