"""A failed verification explains itself: one test per likely cause."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

import pytest

from sandbox.signing import (
    IncomingRequest,
    OutgoingRequest,
    Verdict,
    generate_private_key,
    key_id,
    parse_profile,
    sandbox_trusted_key,
    sign,
    sign_jws,
    sign_postback,
    verify,
)
from tests.signing_helpers import AT, WEBHOOK_SECRET, causes, received

HMAC_BODY = {"kind": "hmac", "secret": "k3y", "header": "X-Signature"}
BODY = json.dumps({"b": 1, "a": "é"}, separators=(",", ":"), ensure_ascii=False).encode()
WEBHOOK_KEY = base64.b64decode(WEBHOOK_SECRET.removeprefix("whsec_"))


def _mac(key: bytes, message: bytes, algorithm: str = "sha256") -> bytes:
    return hmac.new(key, message, getattr(hashlib, algorithm)).digest()


def _hmac_request(signature: str, *, body: bytes = BODY, query: str = "") -> IncomingRequest:
    return IncomingRequest("POST", "/pb/net", query, (("X-Signature", signature),), body)


def _check(profile: dict[str, Any], request: IncomingRequest, **kwargs: Any) -> Verdict:
    return verify(parse_profile(profile), request, now=kwargs.pop("now", AT), **kwargs)


def _webhook_request(signature: str, *, timestamp: int, body: bytes = BODY) -> IncomingRequest:
    headers = (
        ("webhook-id", "msg_1"),
        ("webhook-timestamp", str(timestamp)),
        ("webhook-signature", signature),
    )
    return IncomingRequest("POST", "/pb/net", "", headers, body)


def _webhook_signature(key: bytes, timestamp: int, body: bytes) -> str:
    digest = _mac(key, f"msg_1.{timestamp}.".encode() + body)
    return "v1," + base64.b64encode(digest).decode()


NOW = int(AT.timestamp())


def test_failed_signature_explanation_shows_both_sides() -> None:
    result = _check(HMAC_BODY, _hmac_request("00ff"))
    explanation = result.explanation
    assert result.verdict == "invalid"
    assert explanation["expected_canonical"] == BODY.decode()
    assert explanation["received"]["body"] == BODY.decode()
    assert (explanation["algorithm"], explanation["encoding"]) == ("sha256", "hex")
    assert explanation["expected_signature"] == _mac(b"k3y", BODY).hex()
    assert explanation["received_signature"] == "00ff"


def test_public_dict_leaves_out_the_expected_signature() -> None:
    result = _check(HMAC_BODY, _hmac_request("00ff"))
    assert "expected_signature" not in json.dumps(result.public_dict())
    assert result.to_dict()["explanation"]["expected_signature"]


def test_cause_wrong_secret() -> None:
    result = _check(HMAC_BODY, _hmac_request(_mac(b"other", BODY).hex()))
    assert causes(result) == ["wrong_secret"]
    assert result.explanation["likely_causes"][0]["confirmed"] is False


@pytest.mark.parametrize(
    ("configured", "sender_key"),
    [
        ("whsec_c2VjcmV0", b"secret"),  # sender base64-decoded the prefixed secret
        ("whsec_c2VjcmV0", b"c2VjcmV0"),  # sender dropped the prefix
        ("plain", b"whsec_plain"),  # sender added a prefix
    ],
)
def test_cause_secret_prefix_on_hmac(configured: str, sender_key: bytes) -> None:
    profile = {**HMAC_BODY, "secret": configured}
    result = _check(profile, _hmac_request(_mac(sender_key, BODY).hex()))
    assert causes(result) == ["secret_prefix"]


def test_cause_secret_prefix_on_standard_webhooks() -> None:
    signature = _webhook_signature(WEBHOOK_SECRET.encode(), NOW, BODY)
    profile = {"kind": "standard_webhooks", "secret": WEBHOOK_SECRET}
    result = _check(profile, _webhook_request(signature, timestamp=NOW))
    assert result.verdict == "invalid"
    assert causes(result) == ["secret_prefix"]
    assert "whsec_ prefix" in result.explanation["likely_causes"][0]["detail"]


@pytest.mark.parametrize(
    ("signed_body", "sent_body"),
    [
        (BODY, json.dumps({"b": 1, "a": "é"}).encode()),
        (json.dumps({"a": "é", "b": 1}, sort_keys=True).encode(), BODY),
        (BODY, json.dumps({"b": 1, "a": "é"}, indent=2, ensure_ascii=False).encode()),
    ],
    ids=["whitespace-and-escapes", "key-order", "indent"],
)
def test_cause_body_reserialised(signed_body: bytes, sent_body: bytes) -> None:
    signature = _mac(b"k3y", signed_body).hex()
    result = _check(HMAC_BODY, _hmac_request(signature, body=sent_body))
    assert causes(result) == ["body_reserialised"]
    assert result.explanation["likely_causes"][0]["sender_canonical"] == signed_body.decode()


def test_cause_body_reserialised_on_standard_webhooks() -> None:
    sent = json.dumps(json.loads(BODY)).encode()
    signature = _webhook_signature(WEBHOOK_KEY, NOW, BODY)
    profile = {"kind": "standard_webhooks", "secret": WEBHOOK_SECRET}
    result = _check(profile, _webhook_request(signature, timestamp=NOW, body=sent))
    assert causes(result) == ["body_reserialised"]


def test_cause_stale_timestamp() -> None:
    signature = _webhook_signature(WEBHOOK_KEY, NOW - 900, BODY)
    profile = {"kind": "standard_webhooks", "secret": WEBHOOK_SECRET}
    result = _check(profile, _webhook_request(signature, timestamp=NOW - 900))
    assert result.verdict == "stale"
    assert causes(result) == ["stale_timestamp"]
    assert result.explanation["skew_seconds"] == 900
    assert "900 s in the past" in result.summary


def test_stale_timestamp_is_noted_beside_an_invalid_signature() -> None:
    profile = {"kind": "standard_webhooks", "secret": WEBHOOK_SECRET}
    request = _webhook_request("v1,AAAA", timestamp=NOW)
    result = _check(profile, request, now=AT + timedelta(hours=1))
    assert result.verdict == "invalid"
    assert causes(result) == ["wrong_secret", "stale_timestamp"]


@pytest.mark.parametrize("used", ["sha1", "md5", "sha512"])
def test_cause_wrong_algorithm(used: str) -> None:
    result = _check(HMAC_BODY, _hmac_request(_mac(b"k3y", BODY, used).hex()))
    assert causes(result) == ["wrong_algorithm"]
    assert result.explanation["likely_causes"][0]["algorithm"] == used


@pytest.mark.parametrize(
    ("configured", "sent"),
    [("hex", "base64"), ("base64", "hex"), ("base64", "base64url")],
)
def test_cause_wrong_encoding(configured: str, sent: str) -> None:
    digest = _mac(b"k3y", BODY)
    text = {
        "hex": digest.hex(),
        "base64": base64.b64encode(digest).decode(),
        "base64url": base64.urlsafe_b64encode(digest).decode().rstrip("="),
    }[sent]
    result = _check({**HMAC_BODY, "encoding": configured}, _hmac_request(text))
    assert causes(result) == ["wrong_encoding"]


def test_cause_signature_prefix() -> None:
    profile = {**HMAC_BODY, "prefix": "sha256="}
    result = _check(profile, _hmac_request(_mac(b"k3y", BODY).hex()))
    assert causes(result) == ["signature_prefix"]


def test_hex_signature_case_does_not_matter() -> None:
    result = _check(HMAC_BODY, _hmac_request(_mac(b"k3y", BODY).hex().upper()))
    assert result.verdict == "valid"


def test_cause_query_order_sender_did_not_sort() -> None:
    query = "b=2&a=1"
    profile = {
        "kind": "hmac",
        "secret": "k3y",
        "canonical": "sorted_query",
        "header": "X-Signature",
    }
    result = _check(profile, _hmac_request(_mac(b"k3y", query.encode()).hex(), query=query))
    assert causes(result) == ["query_order"]
    assert result.explanation["expected_canonical"] == "a=1&b=2"
    assert result.explanation["likely_causes"][0]["sender_canonical"] == "b=2&a=1"


def test_cause_query_order_sender_sorted() -> None:
    profile = {"kind": "hmac", "secret": "k3y", "template": "{path}?{query}"}
    signature = _mac(b"k3y", b"/pb/net?a=1&b=2").hex()
    result = _check(profile, _hmac_request(signature, query="b=2&a=1"))
    assert causes(result) == ["query_order"]


# --- token schemes ---


@pytest.mark.parametrize(
    ("profile", "request_", "expected"),
    [
        (
            {"kind": "query_token", "token": "tok", "param": "security_token"},
            IncomingRequest("GET", "/pb", "token=tok"),
            ("missing", "wrong_parameter_name"),
        ),
        (
            {"kind": "query_token", "token": "tok"},
            IncomingRequest("GET", "/pb", "token=%20tok%20"),
            ("invalid", "token_whitespace"),
        ),
        (
            {"kind": "query_token", "token": "a/b"},
            IncomingRequest("GET", "/pb", "token=a%252Fb"),
            ("invalid", "token_double_encoded"),
        ),
        (
            {"kind": "query_token", "token": "tok"},
            IncomingRequest("GET", "/pb", "token=nope"),
            ("invalid", "wrong_token"),
        ),
        (
            {"kind": "header_token", "token": "tok"},
            IncomingRequest("GET", "/pb", "", (("Authorization", "tok"),)),
            ("invalid", "missing_scheme"),
        ),
        (
            {"kind": "header_token", "token": "tok", "header": "X-Key"},
            IncomingRequest("GET", "/pb", "", (("X-Key", "Bearer tok"),)),
            ("invalid", "unexpected_scheme"),
        ),
        (
            {"kind": "header_token", "token": "tok"},
            IncomingRequest("GET", "/pb", "access_token=tok"),
            ("missing", "token_in_query"),
        ),
    ],
)
def test_token_causes(
    profile: dict[str, Any], request_: IncomingRequest, expected: tuple[str, str]
) -> None:
    result = _check(profile, request_)
    assert (result.verdict, causes(result)[0]) == expected


def test_bearer_scheme_is_case_insensitive() -> None:
    request = IncomingRequest("GET", "/pb", "", (("authorization", "bearer tok"),))
    assert _check({"kind": "header_token", "token": "tok"}, request).verdict == "valid"


# --- Apple signatures ---

KEY = generate_private_key()
OTHER = generate_private_key()
SKAN = {
    "version": "4.0", "ad-network-id": "n.skadnetwork", "source-identifier": "71",
    "app-id": 1, "transaction-id": "t-1", "redownload": False, "fidelity-type": 1,
    "did-win": True, "postback-sequence-index": 1, "coarse-conversion-value": "low",
}  # fmt: skip


def _apple(document: dict[str, Any]) -> Verdict:
    request = IncomingRequest("POST", "/pb/skan", body=json.dumps(document).encode())
    keys = [sandbox_trusted_key(KEY), sandbox_trusted_key(OTHER)]
    return verify(parse_profile("skan"), request, now=AT, sandbox_keys=keys)


def test_skan_failure_shows_the_exact_signed_string() -> None:
    signed = sign_postback(SKAN, KEY)
    result = _apple({**signed, "app-id": 2})
    assert result.verdict == "invalid"
    expected = "4.0\u2063n.skadnetwork\u206371\u20632\u2063t-1\u2063false\u20631\u2063true\u20631"
    assert result.explanation["expected_signed_string"] == expected
    assert ["app-id", "2"] in result.explanation["signed_fields"]


def test_skan_unknown_version_is_explained() -> None:
    result = _apple({**sign_postback(SKAN, KEY), "version": "9.9"})
    assert result.verdict == "invalid"
    assert "version '9.9' is not supported" in result.summary


@pytest.mark.parametrize(
    ("kid_of", "signer", "expected_cause"),
    [(OTHER, KEY, "kid_mismatch"), (None, generate_private_key(), "unknown_kid")],
)
def test_aak_kid_causes(kid_of: Any, signer: Any, expected_cause: str) -> None:
    kid = key_id(kid_of) if kid_of is not None else "nobody/0"
    jws = sign_jws({"postback-identifier": "p-1"}, signer, kid=kid)
    result = _apple({"jws-string": jws})
    assert result.verdict == "invalid"
    assert causes(result) == [expected_cause]


def test_sign_leaves_requests_alone_for_unsigned_kinds() -> None:
    request = OutgoingRequest("POST", "http://h/pb?a=1", (("X", "y"),), b"{}")
    for kind in ("none", "skan"):
        assert sign(parse_profile(kind), request, message_id="m", at=AT) == request


def test_received_helper_keeps_other_parts() -> None:
    request = OutgoingRequest("POST", "http://h/pb?a=1", (("X", "y"),), b"{}")
    assert received(request, body=b"x").query_string == "a=1"
