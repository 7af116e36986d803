"""Published test vectors, and signatures checked by code independent of sandbox.signing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from hypothesis import given
from hypothesis import strategies as st

from sandbox.signing import (
    APPLE_AAK_KEYS,
    APPLE_SKAN_KEYS,
    IncomingRequest,
    OutgoingRequest,
    generate_private_key,
    key_id,
    parse_profile,
    private_key_from_pem,
    private_key_to_pem,
    public_key_b64,
    sign,
    sign_jws,
    sign_postback,
    signed_string,
    verify,
)
from tests.signing_helpers import VECTORS

SKAN_EXAMPLES = ["skan-4.0-high-tier", "skan-4.0-low-tier"]
SKAN_PROFILE = parse_profile({"kind": "skan"})
WEBHOOK = VECTORS["standard-webhooks-v1"]
WEBHOOK_AT = datetime.fromtimestamp(int(WEBHOOK["webhook-timestamp"]), UTC)


def _verify_document(document: dict[str, Any]) -> str:
    request = IncomingRequest("POST", "/pb/skan", body=json.dumps(document).encode())
    return verify(SKAN_PROFILE, request, now=WEBHOOK_AT).verdict


# --- Standard Webhooks v1 ---


def test_standard_webhooks_vector_reproduces_exactly() -> None:
    profile = parse_profile({"kind": "standard_webhooks", "secret": WEBHOOK["secret"]})
    request = OutgoingRequest("POST", "http://h/pb/x", (), WEBHOOK["body"].encode())
    signed = sign(profile, request, message_id=WEBHOOK["webhook-id"], at=WEBHOOK_AT)
    assert signed.header("webhook-signature") == WEBHOOK["webhook-signature"]
    assert signed.header("webhook-id") == WEBHOOK["webhook-id"]
    assert signed.header("webhook-timestamp") == WEBHOOK["webhook-timestamp"]


def test_standard_webhooks_vector_verifies_among_rotated_signatures() -> None:
    profile = parse_profile({"kind": "standard_webhooks", "secret": WEBHOOK["secret"]})
    headers = (
        ("webhook-id", WEBHOOK["webhook-id"]),
        ("webhook-timestamp", WEBHOOK["webhook-timestamp"]),
        ("webhook-signature", "v1,b2xkc2VjcmV0 v1a,xyz " + WEBHOOK["webhook-signature"]),
    )
    request = IncomingRequest("POST", "/pb/x", "", headers, WEBHOOK["body"].encode())
    assert verify(profile, request, now=WEBHOOK_AT).verdict == "valid"


# --- Apple SKAN 4.0 examples ---


@pytest.mark.parametrize("name", SKAN_EXAMPLES)
def test_apple_skan_example_is_valid_with_apple_keys(name: str) -> None:
    assert _verify_document(VECTORS[name]) == "valid"


@pytest.mark.parametrize("name", SKAN_EXAMPLES)
def test_apple_skan_example_is_invalid_without_trusting_apple(name: str) -> None:
    profile = parse_profile({"kind": "skan", "trust_apple": False})
    request = IncomingRequest("POST", "/pb/skan", body=json.dumps(VECTORS[name]).encode())
    assert verify(profile, request, now=WEBHOOK_AT).verdict == "invalid"


def _mutate(value: Any, position: int, replacement: str) -> Any:
    """``value`` with one character of its signed text changed, keeping its JSON type."""
    if isinstance(value, bool):
        return not value
    text = str(value)
    index = position % len(text)
    if isinstance(value, int):
        digit = "1" if text[index] != "1" else "2"
        return int(text[:index] + digit + text[index + 1 :])
    swapped = replacement if replacement != text[index] else chr(ord(replacement) + 1)
    return text[:index] + swapped + text[index + 1 :]


@given(
    name=st.sampled_from(SKAN_EXAMPLES),
    field=st.sampled_from(["version", "ad-network-id", "source-identifier", "app-id",
                           "transaction-id", "redownload", "source-domain", "fidelity-type",
                           "did-win", "postback-sequence-index"]),
    position=st.integers(0, 100),
    replacement=st.characters(min_codepoint=32, max_codepoint=126),
)  # fmt: skip
def test_apple_skan_example_fails_with_one_signed_byte_changed(
    name: str, field: str, position: int, replacement: str
) -> None:
    example = VECTORS[name]
    changed = {**example, field: _mutate(example[field], position, replacement)}
    assert changed[field] != example[field]
    assert _verify_document(changed) == "invalid"


@given(name=st.sampled_from(SKAN_EXAMPLES), position=st.integers(0, 200), bit=st.integers(0, 7))
def test_apple_skan_example_fails_with_one_signature_byte_changed(
    name: str, position: int, bit: int
) -> None:
    example = VECTORS[name]
    raw = bytearray(base64.b64decode(example["attribution-signature"]))
    raw[position % len(raw)] ^= 1 << bit
    changed = {**example, "attribution-signature": base64.b64encode(bytes(raw)).decode()}
    assert _verify_document(changed) == "invalid"


@pytest.mark.parametrize("name", SKAN_EXAMPLES)
def test_unsigned_fields_do_not_affect_apple_skan_examples(name: str) -> None:
    changed = {**VECTORS[name], "country-code": "FR", "conversion-value": 1}
    assert _verify_document(changed) == "valid"


# --- Apple AdAttributionKit example ---

AAK = VECTORS["aak-development-example"]


def test_apple_aak_example_is_valid() -> None:
    assert _verify_document(AAK) == "valid"


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@given(part=st.sampled_from([0, 1]), position=st.integers(0, 1000), bit=st.integers(0, 7))
def test_apple_aak_example_fails_with_one_signed_byte_changed(
    part: int, position: int, bit: int
) -> None:
    pieces = AAK["jws-string"].split(".")
    raw = bytearray(_b64url_decode(pieces[part]))
    raw[position % len(raw)] ^= 1 << bit
    pieces[part] = _b64url(bytes(raw))
    assert _verify_document({**AAK, "jws-string": ".".join(pieces)}) == "invalid"


# --- Independent re-implementations: no sandbox.signing code on the checking side ---


def _independent_key(spki_b64: str) -> ec.EllipticCurvePublicKey:
    key = serialization.load_der_public_key(base64.b64decode(spki_b64))
    assert isinstance(key, ec.EllipticCurvePublicKey)
    return key


@pytest.mark.parametrize("name", SKAN_EXAMPLES)
def test_our_signed_string_matches_a_hand_built_one(name: str) -> None:
    example = VECTORS[name]
    hand_built = "\u2063".join([
        "4.0", "com.example", example["source-identifier"], "525463029",
        example["transaction-id"], "false", "example.com", "1", "true", "0",
    ])  # fmt: skip
    assert signed_string(example) == hand_built
    key = _independent_key(APPLE_SKAN_KEYS["apple-skan-2.1+"])
    signature = base64.b64decode(example["attribution-signature"])
    key.verify(signature, hand_built.encode(), ec.ECDSA(hashes.SHA256()))


KEY = generate_private_key()


@given(
    source_id=st.from_regex(r"\A[0-9]{2,4}\Z"),
    app_id=st.integers(1, 10**10),
    redownload=st.booleans(),
    did_win=st.booleans(),
    index=st.integers(0, 2),
)
def test_generated_skan_signature_verifies_with_plain_cryptography(
    source_id: str, app_id: int, redownload: bool, did_win: bool, index: int
) -> None:
    postback = {
        "version": "4.0", "ad-network-id": "fakenet.skadnetwork", "source-identifier": source_id,
        "app-id": app_id, "transaction-id": "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "redownload": redownload, "fidelity-type": 1, "did-win": did_win,
        "coarse-conversion-value": "medium", "postback-sequence-index": index,
    }  # fmt: skip
    signed = sign_postback(postback, KEY)
    message = "\u2063".join([
        "4.0", "fakenet.skadnetwork", source_id, str(app_id),
        "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "true" if redownload else "false", "1",
        "true" if did_win else "false", str(index),
    ])  # fmt: skip
    public = _independent_key(public_key_b64(KEY))
    signature = base64.b64decode(signed["attribution-signature"])
    public.verify(signature, message.encode(), ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        public.verify(signature, message.encode() + b"x", ec.ECDSA(hashes.SHA256()))


def test_generated_aak_jws_verifies_with_plain_cryptography() -> None:
    payload = {"postback-identifier": "A-1", "source-identifier": "39", "did-win": True}
    jws = sign_jws(payload, KEY, kid=key_id(KEY))
    header_b64, payload_b64, signature_b64 = jws.split(".")
    assert json.loads(_b64url_decode(header_b64)) == {"kid": key_id(KEY), "alg": "ES256"}
    assert json.loads(_b64url_decode(payload_b64)) == payload
    raw = _b64url_decode(signature_b64)
    assert len(raw) == 64
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public = _independent_key(public_key_b64(KEY))
    public.verify(der, f"{header_b64}.{payload_b64}".encode(), ec.ECDSA(hashes.SHA256()))


@pytest.mark.parametrize("kid", sorted(APPLE_AAK_KEYS))
def test_apple_aak_keys_load_as_p256(kid: str) -> None:
    assert _independent_key(APPLE_AAK_KEYS[kid]).curve.name == "secp256r1"


def test_private_key_pem_round_trip_keeps_the_public_key() -> None:
    restored = private_key_from_pem(private_key_to_pem(KEY))
    assert public_key_b64(restored) == public_key_b64(KEY)
    assert key_id(restored) == key_id(KEY)


@given(body=st.binary(max_size=300), message_id=st.from_regex(r"\Amsg_[A-Za-z0-9]{1,20}\Z"))
def test_standard_webhooks_signature_matches_hmac_computed_by_hand(
    body: bytes, message_id: str
) -> None:
    profile = parse_profile({"kind": "standard_webhooks", "secret": WEBHOOK["secret"]})
    signed = sign(profile, OutgoingRequest("POST", "http://h/", (), body),
                  message_id=message_id, at=WEBHOOK_AT)  # fmt: skip
    key = base64.b64decode(WEBHOOK["secret"].split("_", 1)[1])
    content = f"{message_id}.{WEBHOOK['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    assert signed.header("webhook-signature") == f"v1,{expected}"


@given(
    pairs=st.lists(
        st.tuples(st.from_regex(r"\A[a-z_]{1,6}\Z"), st.from_regex(r"\A[a-z0-9]{0,6}\Z")),
        max_size=5,
        unique_by=lambda pair: pair[0],
    ),
    algorithm=st.sampled_from(["sha256", "sha1", "md5"]),
)  # fmt: skip
def test_hmac_sorted_query_matches_hmac_computed_by_hand(
    pairs: list[tuple[str, str]], algorithm: str
) -> None:
    pairs = [(name, value) for name, value in pairs if name != "sig"]
    profile = parse_profile({"kind": "hmac", "secret": "k3y", "canonical": "sorted_query",
                             "algorithm": algorithm, "header": "X-Sig"})  # fmt: skip
    query = "&".join(f"{name}={value}" for name, value in pairs)
    signed = sign(profile, OutgoingRequest("GET", f"http://h/pb?{query}"), message_id="m",
                  at=WEBHOOK_AT)  # fmt: skip
    canonical = "&".join(f"{name}={value}" for name, value in sorted(pairs)).encode()
    expected = hmac.new(b"k3y", canonical, getattr(hashlib, algorithm)).hexdigest()
    assert signed.header("X-Sig") == expected


def test_hmac_template_matches_hmac_computed_by_hand() -> None:
    profile = parse_profile({"kind": "hmac", "secret": "k3y", "encoding": "base64",
                             "template": "{method}\n{path}\n{query.click_id}\n{body}",
                             "query_param": "signature"})  # fmt: skip
    body = b'{"a": 1}'
    signed = sign(profile, OutgoingRequest("POST", "http://h/pb/n?click_id=c%201&x=2", (), body),
                  message_id="m", at=WEBHOOK_AT)  # fmt: skip
    canonical = b"POST\n/pb/n\nc 1\n" + body
    expected = base64.b64encode(hmac.new(b"k3y", canonical, hashlib.sha256).digest()).decode()
    assert signed.url.startswith("http://h/pb/n?click_id=c%201&x=2&signature=")
    query = signed.url.split("?", 1)[1]
    assert dict(part.split("=", 1) for part in query.split("&"))["signature"] == (
        expected.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    )
