"""Generated SKAN / AdAttributionKit postbacks verify: independently with ``cryptography``,
and at the receiver's ``skan`` profile (sandbox keys, rotated keys, Apple's vectors), with
tampering and duplicates caught."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature

from sandbox.clock import FakeClock
from sandbox.signing import generate_private_key
from sandbox.skan import SkanStream, current_key, rotate, signing_key
from sandbox.store import Store
from tests.skan_helpers import build, public_key, verify_aak, verify_skan

VECTORS = json.loads((Path(__file__).parent / "data" / "signatures.json").read_text("utf-8"))


def generated(key: Any, seed: int = 5, **skan: Any) -> list[dict[str, Any]]:
    scenario, config = build(**skan)
    return [json.loads(p.body) for p in SkanStream(scenario, config, key, seed).postbacks()
            if "well-known" not in p.url]


def test_generated_postbacks_verify_with_the_published_key(store: Store, clock: FakeClock
                                                           ) -> None:
    published = public_key(current_key(store, clock).public_key)
    documents = generated(signing_key(store, clock), non_winning=0.5, web_share=0.3)
    skan = [d for d in documents if "attribution-signature" in d]
    aak = [d for d in documents if "jws-string" in d]
    assert len(skan) > 10 and len(aak) > 10
    assert any("source-domain" in d for d in skan) and any("source-app-id" in d for d in skan)
    for document in skan:
        verify_skan(document, published)
    for document in aak:
        verify_aak(document["jws-string"], published)


def test_another_key_does_not_verify(store: Store, clock: FakeClock) -> None:
    document = generated(signing_key(store, clock))[0]
    stranger = generate_private_key().public_key()
    with pytest.raises(InvalidSignature):
        if "jws-string" in document:
            verify_aak(document["jws-string"], stranger)
        else:
            verify_skan(document, stranger)


@pytest.fixture
def skan_channel(client) -> Any:
    answer = client.put("/api/channels/skan", json={"verification": {"kind": "skan"}})
    assert answer.status_code == 200
    return client


def post(client: Any, document: dict[str, Any], channel: str = "skan") -> dict[str, Any]:
    answer = client.post(f"/pb/{channel}/postback", data=json.dumps(document),
                         content_type="application/json")
    assert answer.status_code == 200, answer.data
    capture = client.get(f"/api/postbacks/{answer.json['id']}").json
    return capture


def test_receiver_trusts_the_sandbox_key_and_rotated_keys(
        skan_channel: Any, store: Store, clock: FakeClock) -> None:
    before = generated(signing_key(store, clock), tiers={"3": 1})
    rotate(store, clock)
    after = generated(signing_key(store, clock), seed=6, tiers={"3": 1}, non_winning=0)
    assert before[0] != after[0]
    for document in (before[0], before[1], after[0], after[1]):
        capture = post(skan_channel, document)
        assert capture["verdict"] == "valid", capture["verdict_detail"]
        detail = capture["verdict_detail"]
        assert detail["explanation"]["summary"].startswith("signed by sandbox/")


@pytest.mark.parametrize("name", ["skan-4.0-high-tier", "skan-4.0-low-tier",
                                  "aak-development-example"])
def test_receiver_verifies_apples_examples(skan_channel: Any, name: str) -> None:
    document = {k: v for k, v in VECTORS[name].items() if k != "note"}
    capture = post(skan_channel, document)
    assert capture["verdict"] == "valid", capture["verdict_detail"]
    assert "apple" in capture["verdict_detail"]["explanation"]["summary"]


def flip_one_signed_byte(document: dict[str, Any]) -> dict[str, Any]:
    if "jws-string" in document:
        header, payload, signature = document["jws-string"].split(".")
        changed = payload[:10] + ("A" if payload[10] != "A" else "B") + payload[11:]
        return {**document, "jws-string": f"{header}.{changed}.{signature}"}
    changed = document["transaction-id"]
    changed = changed[:-1] + ("0" if changed[-1] != "0" else "1")
    return {**document, "transaction-id": changed}


@pytest.mark.parametrize("name", ["skan-4.0-high-tier", "skan-4.0-low-tier", "generated"])
def test_one_changed_signed_byte_is_invalid_with_the_expected_string(
        skan_channel: Any, store: Store, clock: FakeClock, name: str) -> None:
    if name == "generated":
        document = next(d for d in generated(signing_key(store, clock))
                        if "attribution-signature" in d)
    else:
        document = {k: v for k, v in VECTORS[name].items() if k != "note"}
    tampered = flip_one_signed_byte(document)
    capture = post(skan_channel, tampered)
    assert capture["verdict"] == "invalid"
    explanation = capture["verdict_detail"]["explanation"]
    expected = "\u2063".join([tampered["version"], tampered["ad-network-id"],
                              tampered["source-identifier"], str(tampered["app-id"]),
                              tampered["transaction-id"]])
    assert explanation["expected_signed_string"].startswith(expected)


def test_a_changed_aak_payload_byte_is_invalid(skan_channel: Any) -> None:
    document = {k: v for k, v in VECTORS["aak-development-example"].items() if k != "note"}
    capture = post(skan_channel, flip_one_signed_byte(document))
    assert capture["verdict"] == "invalid"
    assert capture["verdict_detail"]["explanation"]["expected_signed_string"].count(".") == 1


@pytest.mark.parametrize("kind", ["skan", "aak"])
def test_duplicate_identifiers_are_flagged(skan_channel: Any, store: Store, clock: FakeClock,
                                           kind: str) -> None:
    field = "attribution-signature" if kind == "skan" else "jws-string"
    document = next(d for d in generated(signing_key(store, clock)) if field in d)
    first, second = post(skan_channel, document), post(skan_channel, document)
    assert (first["verdict"], second["verdict"]) == ("valid", "replayed")
    identifier = "transaction-id" if kind == "skan" else "postback-identifier"
    assert f"duplicate {identifier}" in second["verdict_detail"]["explanation"]["summary"]


def test_channels_without_a_skan_profile_never_read_the_keys(client, store: Store,
                                                             monkeypatch) -> None:
    def forbidden() -> int:
        raise AssertionError("the key table was read for a channel without skan")

    monkeypatch.setattr(store.skan_keys, "version", forbidden)
    client.put("/api/channels/plain", json={"verification": {"kind": "none",
                                                             "cidrs": ["0.0.0.0/0"]}})
    assert client.post("/pb/plain/x", json={"a": 1}).status_code == 200
    assert client.get("/pb/other/x?a=1").status_code == 200
