"""Shared data for the signing tests: one profile dict per kind, the vectors, a fixed time."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sandbox.signing import IncomingRequest, OutgoingRequest, Verdict, parse_profile, sign, verify

VECTORS_PATH = Path("/work/shared/test-vectors/signatures.json")
_LOCAL_COPY = Path(__file__).parent / "data" / "signatures.json"
VECTORS: dict[str, Any] = json.loads(
    (_LOCAL_COPY if _LOCAL_COPY.exists() else VECTORS_PATH).read_text()
)

AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

PROFILES: dict[str, dict[str, Any]] = {
    "none": {"kind": "none"},
    "query_token": {"kind": "query_token", "token": "t0ken-123", "param": "security_token"},
    "header_bearer": {"kind": "header_token", "token": "bearer-secret"},
    "header_custom": {"kind": "header_token", "token": "abc", "header": "X-Api-Key"},
    "hmac_raw_body": {"kind": "hmac", "secret": "k3y", "header": "X-Signature"},
    "hmac_sorted_query": {
        "kind": "hmac",
        "secret": "k3y",
        "canonical": "sorted_query",
        "algorithm": "sha1",
        "encoding": "base64",
        "query_param": "sig",
    },
    "hmac_template": {
        "kind": "hmac",
        "secret": "k3y",
        "template": "{method}\n{path}\n{query.click_id}\n{body}",
        "algorithm": "md5",
        "header": "X-Hub-Signature",
        "prefix": "md5=",
    },
    "hmac_raw_query": {"kind": "hmac", "secret": "k3y", "template": "{path}?{query}"},
    "standard_webhooks": {"kind": "standard_webhooks", "secret": WEBHOOK_SECRET},
    "query_token_allowlisted": {
        "kind": "query_token",
        "token": "t",
        "cidrs": ["127.0.0.0/8", "::1/128"],
    },
}

URL = "http://127.0.0.1:8000/pb/fakenet?click_id=c-1&event=install&revenue=1.5"
BODY = b'{"event": "install", "click_id": "c-1", "revenue": 1.5}'


def outgoing(url: str = URL, body: bytes = BODY, method: str = "POST") -> OutgoingRequest:
    return OutgoingRequest(method, url, (("Content-Type", "application/json"),), body)


def round_trip(
    profile_dict: dict[str, Any],
    request: OutgoingRequest | None = None,
    *,
    message_id: str = "msg_1",
    remote_addr: str = "127.0.0.1",
) -> tuple[OutgoingRequest, Verdict]:
    profile = parse_profile(profile_dict)
    signed = sign(profile, request or outgoing(), message_id=message_id, at=AT)
    incoming = IncomingRequest.from_outgoing(signed, remote_addr=remote_addr)
    return signed, verify(profile, incoming, now=AT)


def received(signed: OutgoingRequest, **changes: Any) -> IncomingRequest:
    """The incoming view of ``signed`` with some parts changed on the way."""
    base = IncomingRequest.from_outgoing(signed)
    fields = {
        "method": base.method,
        "path": base.path,
        "query_string": base.query_string,
        "headers": base.headers,
        "body": base.body,
        "remote_addr": base.remote_addr,
    }
    return IncomingRequest(**{**fields, **changes})


def causes(verdict: Verdict) -> list[str]:
    return [item["cause"] for item in verdict.explanation.get("likely_causes", [])]
