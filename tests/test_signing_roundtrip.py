"""sign -> send -> verify: every profile kind verifies what it signed, and only that."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.signing import (
    VERDICTS,
    IncomingRequest,
    OutgoingRequest,
    Verdict,
    generate_private_key,
    key_id,
    parse_profile,
    public_key_b64,
    sandbox_trusted_key,
    sign,
    sign_jws,
    sign_postback,
    verify,
)
from tests.signing_helpers import AT, PROFILES, outgoing, received, round_trip

SIGNED_KINDS = [name for name in PROFILES if name != "none"]
# Where each profile puts its proof, so a test can take it away.
PROOF_HEADERS = {
    "header_bearer": "Authorization",
    "header_custom": "X-Api-Key",
    "hmac_raw_body": "X-Signature",
    "hmac_template": "X-Hub-Signature",
    "hmac_raw_query": "X-Signature",
    "standard_webhooks": "webhook-signature",
}
PROOF_PARAMS = {
    "query_token": "security_token",
    "hmac_sorted_query": "sig",
    "query_token_allowlisted": "token",
}


@pytest.mark.parametrize("name", list(PROFILES))
def test_signed_request_verifies(name: str) -> None:
    _, result = round_trip(PROFILES[name])
    assert result.verdict == "valid", result.explanation


@pytest.mark.parametrize("name", [*PROOF_HEADERS, *PROOF_PARAMS])
def test_request_without_its_proof_is_missing(name: str) -> None:
    signed, _ = round_trip(PROFILES[name])
    header = PROOF_HEADERS.get(name)
    stripped = received(
        signed,
        headers=tuple((k, v) for k, v in signed.headers if k != header),
        query_string="&".join(
            part
            for part in received(signed).query_string.split("&")
            if part.split("=")[0] != PROOF_PARAMS.get(name)
        ),
    )
    result = verify(parse_profile(PROFILES[name]), stripped, now=AT)
    assert result.verdict == "missing"


TAMPERINGS: dict[str, dict[str, Any]] = {
    "query_token": {"query_string": "click_id=c-1&security_token=guess"},
    "header_bearer": {"headers": (("Authorization", "Bearer guess"),)},
    "header_custom": {"headers": (("X-Api-Key", "abd"),)},
    "hmac_raw_body": {"body": b'{"event": "install", "click_id": "c-2", "revenue": 1.5}'},
    "hmac_template": {"path": "/pb/othernet"},
    "hmac_raw_query": {"query_string": "click_id=c-1&event=purchase&revenue=1.5"},
    "standard_webhooks": {"body": b'{"event": "install", "click_id": "c-1", "revenue": 9}'},
}


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_tampered_request_is_invalid(name: str) -> None:
    signed, _ = round_trip(PROFILES[name])
    changes: dict[str, Any] = dict(TAMPERINGS[name])
    if "headers" in changes:
        changes["headers"] = (*[h for h in signed.headers if h[0] != changes["headers"][0][0]],
                              *changes["headers"])  # fmt: skip
    result = verify(parse_profile(PROFILES[name]), received(signed, **changes), now=AT)
    assert result.verdict == "invalid"


def test_tampered_query_under_sorted_query_is_invalid() -> None:
    signed, _ = round_trip(PROFILES["hmac_sorted_query"])
    query = received(signed).query_string.replace("revenue=1.5", "revenue=150")
    result = verify(
        parse_profile(PROFILES["hmac_sorted_query"]), received(signed, query_string=query), now=AT
    )
    assert result.verdict == "invalid"


@pytest.mark.parametrize(
    ("remote_addr", "expected"),
    [
        ("127.0.0.1", "valid"),
        ("::1", "valid"),
        ("::ffff:127.0.0.9", "valid"),
        ("10.0.0.1", "not_allowlisted"),
        ("2001:db8::1", "not_allowlisted"),
        ("not-an-ip", "not_allowlisted"),
    ],
)
def test_allowlist_checks_source_before_token(remote_addr: str, expected: str) -> None:
    _, result = round_trip(PROFILES["query_token_allowlisted"], remote_addr=remote_addr)
    assert result.verdict == expected


def test_ip_allowlist_kind() -> None:
    profile = {"kind": "ip_allowlist", "cidrs": ["45.92.116.0/22", "194.28.46.0/23"]}
    assert round_trip(profile, remote_addr="45.92.119.255")[1].verdict == "valid"
    assert round_trip(profile, remote_addr="45.92.120.0")[1].verdict == "not_allowlisted"


@pytest.mark.parametrize(
    ("verdict", "mode", "status"),
    [
        ("valid", "enforce", None),
        ("missing", "enforce", 401),
        ("invalid", "enforce", 401),
        ("stale", "enforce", 401),
        ("replayed", "enforce", 401),
        ("not_allowlisted", "enforce", 403),
        ("invalid", "flag", None),
        ("not_allowlisted", "flag", None),
    ],
)
def test_refusal_status_per_mode(verdict: Any, mode: str, status: int | None) -> None:
    assert Verdict(verdict, "hmac").refusal_status(mode) == status


# --- Standard Webhooks: id stable across retries, timestamp per attempt, stale, replay ---


def test_webhook_id_is_the_callers_and_timestamp_is_the_attempts() -> None:
    profile = parse_profile(PROFILES["standard_webhooks"])
    first = sign(profile, outgoing(), message_id="msg_42", at=AT)
    retry = sign(profile, outgoing(), message_id="msg_42", at=AT + timedelta(seconds=90))
    assert first.header("webhook-id") == retry.header("webhook-id") == "msg_42"
    assert (
        int(retry.header("webhook-timestamp") or 0) - int(first.header("webhook-timestamp") or 0)
        == 90
    )
    assert first.header("webhook-signature") != retry.header("webhook-signature")


@pytest.mark.parametrize(
    ("skew", "expected"), [(-300, "valid"), (300, "valid"), (301, "stale"), (-301, "stale")]
)
def test_webhook_timestamp_tolerance(skew: int, expected: str) -> None:
    profile = parse_profile(PROFILES["standard_webhooks"])
    signed = sign(profile, outgoing(), message_id="msg_1", at=AT)
    result = verify(profile, received(signed), now=AT + timedelta(seconds=skew))
    assert result.verdict == expected


@pytest.mark.parametrize(("seen", "expected"), [(True, "replayed"), (False, "valid")])
def test_webhook_replay_uses_seen_before(seen: bool, expected: str) -> None:
    profile = parse_profile(PROFILES["standard_webhooks"])
    signed = sign(profile, outgoing(), message_id="msg_7", at=AT)
    asked: list[str] = []

    def seen_before(webhook_id: str) -> bool:
        asked.append(webhook_id)
        return seen

    result = verify(profile, received(signed), now=AT, seen_before=seen_before)
    assert (result.verdict, result.replay_key, asked) == (expected, "msg_7", ["msg_7"])


def test_replay_lookup_is_skipped_for_an_invalid_signature() -> None:
    profile = parse_profile(PROFILES["standard_webhooks"])
    signed = sign(profile, outgoing(), message_id="msg_8", at=AT)

    def seen_before(webhook_id: str) -> bool:
        raise AssertionError("must not be asked")

    result = verify(profile, received(signed, body=b"{}"), now=AT, seen_before=seen_before)
    assert result.verdict == "invalid"


# --- hypothesis: random bodies and queries round-trip, any change breaks them ---

query_items = st.lists(st.tuples(st.text(min_size=1, max_size=8), st.text(max_size=8)), max_size=6)


def _request(pairs: list[tuple[str, str]], body: bytes) -> OutgoingRequest:
    query = urlencode(pairs)
    return OutgoingRequest("POST", f"http://h/pb/net{'?' + query if query else ''}", (), body)


@pytest.mark.parametrize(
    "name", ["hmac_raw_body", "hmac_sorted_query", "hmac_template", "hmac_raw_query",
             "standard_webhooks", "query_token", "header_bearer"],
)  # fmt: skip
@given(pairs=query_items, body=st.binary(max_size=200))
def test_round_trip_over_random_requests(
    name: str, pairs: list[tuple[str, str]], body: bytes
) -> None:
    signed, result = round_trip(PROFILES[name], _request(pairs, body))
    assert result.verdict == "valid", result.explanation


@given(body=st.binary(max_size=200), extra=st.binary(min_size=1, max_size=5))
def test_any_body_change_breaks_a_body_signature(body: bytes, extra: bytes) -> None:
    for name in ("hmac_raw_body", "standard_webhooks"):
        signed, _ = round_trip(PROFILES[name], _request([], body))
        result = verify(parse_profile(PROFILES[name]), received(signed, body=body + extra), now=AT)
        assert result.verdict == "invalid"


@given(pairs=query_items.filter(bool), value=st.text(min_size=1, max_size=5))
def test_any_added_parameter_breaks_a_query_signature(
    pairs: list[tuple[str, str]], value: str
) -> None:
    signed, _ = round_trip(PROFILES["hmac_sorted_query"], _request(pairs, b""))
    query = received(signed).query_string + "&" + urlencode([("zz_added", value)])
    result = verify(
        parse_profile(PROFILES["hmac_sorted_query"]), received(signed, query_string=query), now=AT
    )
    assert result.verdict == "invalid"


# --- SKAN and AdAttributionKit with the sandbox key ---

KEY = generate_private_key()
SKAN_POSTBACK: dict[str, Any] = {
    "version": "4.0", "ad-network-id": "fakenet123.skadnetwork", "source-identifier": "4271",
    "app-id": 1234567890, "transaction-id": "0f4e2c1a-7b9d-4e3f-9a2b-5c6d7e8f9a01",
    "redownload": False, "source-app-id": 987654321, "fidelity-type": 1, "did-win": True,
    "conversion-value": 22, "postback-sequence-index": 0, "country-code": "US",
}  # fmt: skip
AAK_PAYLOAD: dict[str, Any] = {
    "postback-identifier": "85546EB7-FD39-44BC-8990-C98A4AC36A49",
    "ad-network-identifier": "fakenet123.adattributionkit", "source-identifier": "1234",
    "advertised-item-identifier": 1234567890, "conversion-type": "download",
    "did-win": True, "postback-sequence-index": 0,
}  # fmt: skip


def _apple_request(document: dict[str, Any]) -> IncomingRequest:
    body = json.dumps(document).encode()
    return IncomingRequest("POST", "/pb/skan", "", (("Content-Type", "application/json"),), body)


def _aak_body(jws: str) -> dict[str, Any]:
    return {"jws-string": jws, "conversion-value": 3, "ad-interaction-type": "click"}


@pytest.mark.parametrize(
    "document",
    [sign_postback(SKAN_POSTBACK, KEY), _aak_body(sign_jws(AAK_PAYLOAD, KEY, kid=key_id(KEY)))],
    ids=["skan", "aak"],
)
def test_sandbox_signed_apple_postbacks_verify_with_the_sandbox_key(
    document: dict[str, Any],
) -> None:
    profile = parse_profile({"kind": "skan"})
    request = _apple_request(document)
    trusted = [sandbox_trusted_key(KEY)]
    assert verify(profile, request, now=AT, sandbox_keys=trusted).verdict == "valid"
    assert verify(profile, request, now=AT).verdict == "invalid"
    configured = parse_profile({"kind": "skan", "keys": [public_key_b64(KEY)]})
    assert verify(configured, request, now=AT).verdict == "valid"


def test_skan_tampered_and_missing() -> None:
    profile, trusted = parse_profile({"kind": "skan"}), [sandbox_trusted_key(KEY)]
    signed = sign_postback(SKAN_POSTBACK, KEY)
    tampered = {**signed, "source-identifier": "4272"}
    unsigned_change = {**signed, "conversion-value": 63}
    no_signature = {k: v for k, v in signed.items() if k != "attribution-signature"}
    outcomes = [
        verify(profile, _apple_request(doc), now=AT, sandbox_keys=trusted).verdict
        for doc in (tampered, unsigned_change, no_signature)
    ]
    assert outcomes == ["invalid", "valid", "missing"]
    assert (
        verify(profile, IncomingRequest("POST", "/pb/skan", body=b"x"), now=AT).verdict == "missing"
    )


@pytest.mark.parametrize(
    ("document", "key_name"),
    [(sign_postback(SKAN_POSTBACK, KEY), "transaction-id"),
     (_aak_body(sign_jws(AAK_PAYLOAD, KEY, kid=key_id(KEY))), "postback-identifier")],
    ids=["skan", "aak"],
)  # fmt: skip
def test_duplicate_apple_identifier_is_replayed(document: dict[str, Any], key_name: str) -> None:
    profile, trusted = parse_profile({"kind": "skan"}), [sandbox_trusted_key(KEY)]
    result = verify(profile, _apple_request(document), now=AT, sandbox_keys=trusted,
                    seen_before=lambda key: True)  # fmt: skip
    assert result.verdict == "replayed"
    assert key_name in result.summary
    assert result.replay_key in (
        SKAN_POSTBACK["transaction-id"],
        AAK_PAYLOAD["postback-identifier"],
    )


def test_apple_signatures_are_deterministic() -> None:
    assert sign_postback(SKAN_POSTBACK, KEY) == sign_postback(SKAN_POSTBACK, KEY)
    assert sign_jws(AAK_PAYLOAD, KEY, kid="k") == sign_jws(AAK_PAYLOAD, KEY, kid="k")


# --- hostile input: verify always returns a verdict ---

HEADER_NAMES = [
    "Authorization", "X-Signature", "X-Hub-Signature", "webhook-id", "webhook-timestamp",
    "webhook-signature", "X-Api-Key",
]  # fmt: skip
header_pairs = st.lists(
    st.tuples(st.sampled_from(HEADER_NAMES) | st.text(max_size=8), st.text(max_size=30)),
    max_size=6,
)
bodies = st.binary(max_size=100) | st.builds(
    lambda doc: json.dumps(doc).encode(),
    st.fixed_dictionaries(
        {},
        optional={
            "jws-string": st.text(max_size=60) | st.just("a.b.c"),
            "attribution-signature": st.text(max_size=20),
            "version": st.sampled_from(["4.0", "3.0", "2.2", "2.0", "1.0", ""]),
            "transaction-id": st.text(max_size=5),
        },
    ),
)


@pytest.mark.parametrize("name", [*PROFILES, "skan"])
@given(
    method=st.sampled_from(["GET", "POST", "put"]),
    path=st.text(max_size=20),
    query=st.text(max_size=40),
    headers=header_pairs,
    body=bodies,
    remote_addr=st.none() | st.text(max_size=10) | st.ip_addresses().map(str),
)
def test_verify_returns_a_verdict_for_any_request(
    name: str,
    method: str,
    path: str,
    query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    remote_addr: str | None,
) -> None:
    profile = parse_profile(PROFILES.get(name, {"kind": "skan"}))
    request = IncomingRequest(method, path, query, tuple(headers), body, remote_addr)
    result = verify(profile, request, now=AT, seen_before=lambda key: False)
    assert result.verdict in VERDICTS
    json.dumps(result.to_dict())
