"""Verification on the receiver, per channel: every profile and verdict, flag and enforce,
replays, likely causes through the API, verdict filters, config file and masking."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sandbox.clock import FakeClock
from sandbox.query.conditions import parse_conditions
from sandbox.query.document import parse_where
from sandbox.query.matchers import matches
from sandbox.settings import load_settings
from sandbox.signing import generate_private_key, public_key_b64, sign_postback
from sandbox.store import Store
from sandbox.web.entry import build
from tests.conftest import sqlite_only
from tests.signing_helpers import PROFILES, WEBHOOK_SECRET
from tests.trust_helpers import BODY, last_capture, put_channel, send, signed

SIGNED_KINDS = [name for name in PROFILES if name not in ("none",)]


def explanation(capture: dict[str, Any]) -> dict[str, Any]:
    return dict(capture["verdict_detail"]["explanation"])


def causes(capture: dict[str, Any]) -> list[str]:
    return [c["cause"] for c in explanation(capture).get("likely_causes", [])]


@pytest.mark.parametrize("name", SIGNED_KINDS)
def test_signed_request_is_valid_on_every_profile(client, clock, name):
    put_channel(client, "net", PROFILES[name])
    answer = send(client, signed(PROFILES[name], "net", at=clock.now()))
    assert answer.status_code == 200
    capture = last_capture(client)
    assert capture["verdict"] == "valid", capture["verdict_detail"]
    assert capture["verdict_detail"]["kind"] == PROFILES[name]["kind"]


@pytest.mark.parametrize("name", [n for n in SIGNED_KINDS if "allowlisted" not in n])
@pytest.mark.parametrize("mode", ["flag", "enforce"])
def test_unsigned_request_is_missing(client, clock, name, mode):
    put_channel(client, "net", {**PROFILES[name], "mode": mode})
    answer = client.post("/pb/net?click_id=c-1", data=BODY)
    capture = last_capture(client)
    assert capture["verdict"] == "missing"
    if mode == "flag":
        assert answer.status_code == 200 and capture["refused"] is None
    else:
        assert answer.status_code == 401
        assert answer.json["error"]["code"] == "verification_missing"
        assert answer.headers["X-Sandbox-Verdict"] == "missing"
        assert capture["refused"].startswith("verification_missing")
        assert capture["response"]["status"] == 401


@pytest.mark.parametrize("name", ["query_token", "header_bearer", "hmac_raw_body",
                                  "hmac_sorted_query", "hmac_template", "standard_webhooks"])
def test_tampered_request_is_invalid_and_enforce_answers_401(client, clock, name):
    put_channel(client, "net", {**PROFILES[name], "mode": "enforce"})
    good = signed(PROFILES[name], "net", at=clock.now())
    headers = tuple((k, v.replace(v[-2:], "zz") if k.lower() in (
        "authorization", "x-signature", "x-hub-signature", "webhook-signature") else v)
        for k, v in good.headers)
    url = good.url.replace("t0ken-123", "t0ken-999").replace("sig=", "sig=AA")
    tampered = good.__class__(good.method, url, headers, good.body)
    answer = send(client, tampered)
    assert answer.status_code == 401
    assert answer.json["error"]["code"] == "verification_invalid"
    assert last_capture(client)["verdict"] == "invalid"


@pytest.mark.parametrize("mode,status", [("flag", 200), ("enforce", 403)])
def test_source_outside_the_allowlist(client, clock, mode, status):
    put_channel(client, "net", {"kind": "ip_allowlist", "cidrs": ["45.92.116.0/22"],
                                "mode": mode})
    answer = client.get("/pb/net?click_id=1", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert answer.status_code == status
    capture = last_capture(client)
    assert capture["verdict"] == "not_allowlisted"
    assert send(client, signed({"kind": "none"}, "net", at=clock.now()),
                REMOTE_ADDR="45.92.117.9").status_code == 200
    assert last_capture(client)["verdict"] == "valid"


def test_stale_webhook_timestamp_is_refused_in_enforce(client, clock: FakeClock):
    profile = {**PROFILES["standard_webhooks"], "mode": "enforce"}
    put_channel(client, "net", profile)
    request = signed(profile, "net", at=clock.now())
    clock.advance(600)
    answer = send(client, request)
    assert answer.status_code == 401
    assert answer.json["error"]["code"] == "verification_stale"
    capture = last_capture(client)
    assert capture["verdict"] == "stale" and causes(capture) == ["stale_timestamp"]


def test_accepted_webhook_id_sent_again_is_a_replay(client, clock):
    profile = {**PROFILES["standard_webhooks"], "mode": "enforce"}
    put_channel(client, "net", profile)
    request = signed(profile, "net", at=clock.now(), message_id="msg_same")
    assert send(client, request).status_code == 200
    again = send(client, request)
    assert again.status_code == 401
    assert again.json["error"]["code"] == "verification_replayed"
    assert last_capture(client)["verdict"] == "replayed"
    other = send(client, signed(profile, "net", at=clock.now(), message_id="msg_other"))
    assert other.status_code == 200


def test_retry_after_a_forced_failure_is_not_a_replay(client, clock):
    profile = {**PROFILES["standard_webhooks"], "mode": "enforce"}
    put_channel(client, "net", profile, answer={"fail_first": 1})
    request = signed(profile, "net", at=clock.now(), message_id="msg_retry")
    assert send(client, request).status_code == 503
    assert send(client, request).status_code == 200
    assert last_capture(client)["verdict"] == "valid"
    assert send(client, request).status_code == 401  # now it was accepted once


def test_replay_is_scoped_to_the_channel(client, clock):
    profile = PROFILES["standard_webhooks"]
    put_channel(client, "a", profile)
    put_channel(client, "b", profile)
    send(client, signed(profile, "a", at=clock.now(), message_id="m"))
    send(client, signed(profile, "b", at=clock.now(), message_id="m"))
    assert last_capture(client)["verdict"] == "valid"


def test_duplicate_skan_transaction_id_is_flagged(client):
    key = generate_private_key()
    put_channel(client, "skan", {"kind": "skan", "trust_apple": False,
                                 "keys": [public_key_b64(key)]})
    postback = sign_postback({
        "version": "4.0", "ad-network-id": "example123.skadnetwork", "source-identifier": "5239",
        "app-id": 525463029, "transaction-id": "6aafb7a5-0170-41b5-bbe4-fe71dedf1e30",
        "redownload": False, "source-app-id": 1234567891, "fidelity-type": 1,
        "did-win": True, "postback-sequence-index": 0,
    }, key)
    for _ in range(2):
        assert client.post("/pb/skan", json=postback).status_code == 200
    first, second = client.get("/api/postbacks?order=asc").json["postbacks"]
    assert (first["verdict"], second["verdict"]) == ("valid", "replayed")
    assert "transaction-id" in second["verdict_detail"]["explanation"]["summary"]


# --- likely causes, as the API shows them ---

def _hmac_sent(client, profile, *, key: bytes, message: bytes, **kwargs: Any):
    import hmac as hmac_module
    digest = hmac_module.new(key, message, kwargs.pop("algorithm", "sha256")).hexdigest()
    query = kwargs.pop("query", "")
    body = kwargs.pop("body", b"")
    put_channel(client, "net", profile)
    client.post(f"/pb/net?{query}" if query else "/pb/net", data=body,
                headers={"X-Signature": digest})
    return last_capture(client)


def test_cause_body_reserialised(client):
    original = b'{"a": "\\u00e9", "b": 1}'
    capture = _hmac_sent(client, {"kind": "hmac", "secret": "k3y"}, key=b"k3y",
                         message=original, body=json.dumps({"b": 1, "a": "é"}).encode())
    assert capture["verdict"] == "invalid" and causes(capture) == ["body_reserialised"]
    assert explanation(capture)["expected_canonical"]


def test_cause_wrong_secret(client):
    capture = _hmac_sent(client, {"kind": "hmac", "secret": "right"}, key=b"wrong",
                         message=BODY, body=BODY)
    assert capture["verdict"] == "invalid" and "wrong_secret" in causes(capture)


def test_cause_wrong_algorithm(client):
    capture = _hmac_sent(client, {"kind": "hmac", "secret": "k3y"}, key=b"k3y",
                         message=BODY, body=BODY, algorithm="sha1")
    assert capture["verdict"] == "invalid" and causes(capture) == ["wrong_algorithm"]
    assert explanation(capture)["algorithm"] == "sha256"


def test_cause_parameter_order(client):
    profile = {"kind": "hmac", "secret": "k3y", "canonical": "sorted_query"}
    capture = _hmac_sent(client, profile, key=b"k3y", message=b"b=2&a=1", query="b=2&a=1")
    assert capture["verdict"] == "invalid" and causes(capture) == ["query_order"]


def test_cause_stale_timestamp_in_the_api(client, clock):
    profile = PROFILES["standard_webhooks"]
    put_channel(client, "net", profile)
    request = signed(profile, "net", at=clock.now())
    clock.advance(-3600)
    send(client, request)
    capture = last_capture(client)
    assert capture["verdict"] == "stale" and causes(capture) == ["stale_timestamp"]


def test_refusal_body_keeps_the_expected_signature_secret(client):
    put_channel(client, "net", {"kind": "hmac", "secret": "k3y", "mode": "enforce"})
    answer = client.post("/pb/net", data=BODY, headers={"X-Signature": "00"})
    assert set(answer.json) == {"error"}
    assert "expected" not in json.dumps(answer.json)


# --- filters, assertions, configuration ---

def test_verdict_filter(client, clock):
    put_channel(client, "net", PROFILES["query_token"])
    send(client, signed(PROFILES["query_token"], "net", at=clock.now()))
    client.get("/pb/net?security_token=nope")
    client.get("/pb/plain")
    assert [p["verdict"] for p in client.get("/api/postbacks?verdict=invalid").json[
        "postbacks"]] == ["invalid"]
    assert client.get("/api/postbacks?verdict=valid").json["count"] == 1
    assert [p["channel"] for p in client.get("/api/postbacks?verdict=none").json[
        "postbacks"]] == ["plain"]
    bad = client.get("/api/postbacks?verdict=fine")
    assert bad.status_code == 400 and bad.json["error"]["field"] == "verdict"


def test_verdict_is_usable_in_assertions(client):
    put_channel(client, "net", PROFILES["query_token"])
    client.get("/pb/net?security_token=nope")
    view = last_capture(client)
    assert matches(parse_where(parse_conditions(["verdict=invalid"])), view)
    assert not matches(parse_where(parse_conditions(["verdict=valid"])), view)


def test_channel_without_verification_has_no_verdict(client):
    client.get("/pb/free?click_id=1")
    assert last_capture(client)["verdict"] is None


def test_bad_verification_names_the_field(client):
    answer = client.put("/api/channels/net", json={"verification": {
        "kind": "hmac", "secret": "x", "algorithm": "sha3"}})
    assert answer.status_code == 400
    assert answer.json["error"]["field"] == "verification.algorithm"
    unknown = client.put("/api/channels/net", json={"verify": {}})
    assert unknown.status_code == 400 and unknown.json["error"]["field"] == "verify"


def test_missing_env_secret_is_refused_when_configured(client, monkeypatch):
    monkeypatch.delenv("T7_NOT_SET", raising=False)
    answer = client.put("/api/channels/net", json={"verification": {
        "kind": "query_token", "token": {"env": "T7_NOT_SET"}}})
    assert answer.status_code == 400 and "T7_NOT_SET" in answer.json["error"]["message"]


def test_secret_from_env_and_masked_in_channel_view(client, monkeypatch):
    monkeypatch.setenv("T7_NET_TOKEN", "from-env-123")
    put_channel(client, "envnet", {"kind": "query_token", "token": {"env": "T7_NET_TOKEN"}})
    put_channel(client, "inline", {"kind": "query_token", "token": "inline-secret"})
    client.get("/pb/envnet?token=from-env-123")
    assert last_capture(client)["verdict"] == "valid"
    shown = client.get("/api/channels/inline").json["verification"]
    assert shown["token"] == "****"
    assert client.get("/api/channels/inline?reveal=1").json["verification"]["token"] == (
        "inline-secret")
    assert client.get("/api/channels/envnet").json["verification"]["token"] == {
        "env": "T7_NET_TOKEN"}


def test_config_file_configures_verification(tmp_path: Path, monkeypatch, clock, serve):
    monkeypatch.setenv("T7_WH_SECRET", WEBHOOK_SECRET)
    config = tmp_path / "sandbox.yaml"
    config.write_text(
        "channels:\n  hooks:\n    answer: {status: 202}\n    verification:\n"
        "      kind: standard_webhooks\n      secret: {env: T7_WH_SECRET}\n      mode: enforce\n"
    )
    db = tmp_path / "c.db"
    store = Store(db)
    try:
        app = build(load_settings({"db": str(db), "config": str(config)}, environ={}),
                    clock=clock, store=store)
        client = serve(app)
        assert client.post("/pb/hooks", data=BODY).status_code == 401
        request = signed(PROFILES["standard_webhooks"], "hooks", at=clock.now())
        assert send(client, request).status_code == 202
    finally:
        store.close()


def test_config_file_error_names_file_and_field(tmp_path: Path):
    from sandbox.errors import ConfigError
    from sandbox.web.config_file import load_config_file
    config = tmp_path / "sandbox.yaml"
    config.write_text("channels:\n  n:\n    verification: {kind: hmac, secret: k, encoding: b32}\n")
    with pytest.raises(ConfigError) as caught:
        load_config_file(config)
    assert str(config) in caught.value.message
    assert "channels.n.verification.encoding" in caught.value.message


@sqlite_only  # SQLite's query plan
def test_replay_lookup_uses_the_index(store: Store):
    plan = store.connection().execute(
        "EXPLAIN QUERY PLAN SELECT 1 FROM captures WHERE replay_key = ? AND channel = ? "
        "AND response_status BETWEEN 200 AND 299 LIMIT 1", ("x", "y")).fetchall()
    assert "captures_replay" in " ".join(str(tuple(row)) for row in plan)


def test_database_from_before_trust_migrates_and_keeps_captures(tmp_path: Path):
    import pkgutil
    import sqlite3

    from sandbox.store import migrations
    from sandbox.store.schema import MIGRATIONS

    names = sorted(m.name for m in pkgutil.iter_modules(migrations.__path__))
    before = names.index("v0003_trust")
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db, isolation_level=None)
    for version, migration in enumerate(MIGRATIONS[:before], start=1):
        migration(conn)
        conn.execute(f"PRAGMA user_version = {version}")
    conn.execute(
        "INSERT INTO captures (channel, method, path, query_string, query_json, headers_json,"
        " body, received_at, body_size, response_status) VALUES "
        "('old', 'GET', '/pb/old', '', '{}', '[]', x'', '2026-01-01T00:00:00.000000Z', 0, 200)")
    conn.execute("INSERT INTO channels (name, answer_json, updated_at) VALUES ('old', '{}', 'x')")
    conn.close()
    store = Store(db)
    try:
        row = store.captures.get(1)
        assert row is not None and row.replay_key is None and row.verdict is None
        assert store.channels.get("old") == {"answer": {}, "verification": None, "forward": None,
                                             "updated_at": "x", "requests": 0}
    finally:
        store.close()
