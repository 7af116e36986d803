"""Every signing scheme, as delivered on the wire, checked by an independent implementation
(hmac/hashlib/base64 here, not the sandbox's signing code)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, quote

import pytest

from sandbox.clock import FakeClock
from sandbox.delivery.policy import Policy
from sandbox.delivery.resend import resend
from sandbox.signing import OutgoingRequest, parse_profile, sign
from sandbox.store import Store
from tests.delivery_helpers import (
    Answer,
    ScriptedServer,
    deliver,
    only_delivery,
    planned,
    postback,
)

VECTOR = json.loads(
    (Path(__file__).parent / "data" / "signatures.json").read_text())["standard-webhooks-v1"]
SECRET = VECTOR["secret"]
START = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def plain() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    yield server
    server.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def webhook_signature(secret: str, message_id: str, timestamp: str, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def test_the_standard_webhooks_vector_reproduces() -> None:
    body = VECTOR["body"].encode()
    at = datetime.fromtimestamp(int(VECTOR["webhook-timestamp"]), UTC)
    signed = sign(parse_profile({"kind": "standard_webhooks", "secret": SECRET}),
                  OutgoingRequest("POST", "http://x.test/hook", (), body),
                  message_id=VECTOR["webhook-id"], at=at)
    assert signed.header("webhook-signature") == VECTOR["webhook-signature"]
    assert webhook_signature(SECRET, VECTOR["webhook-id"], VECTOR["webhook-timestamp"],
                             body) == VECTOR["webhook-signature"]


def test_standard_webhooks_id_is_constant_across_retries_and_timestamp_is_per_attempt(
    plain: ScriptedServer, store: Store, clock: FakeClock
) -> None:
    plain.answer(Answer(503), Answer(503), Answer(200))
    body = b'{"type":"install.attributed","data":{"click_id":"c1"}}'
    item = postback(f"{plain.url}/hooks/install", method="POST", body=body)
    profile = parse_profile({"kind": "standard_webhooks", "secret": SECRET})
    deliver(store, clock, [planned(item, profile)], policy=Policy(attempts=3, base=30,
                                                                  jitter=0))
    ids = {seen.headers["webhook-id"] for seen in plain.seen}
    assert ids == {item.postback_id}
    stamps = [int(seen.headers["webhook-timestamp"]) for seen in plain.seen]
    start = int(START.timestamp())
    assert stamps == [start, start + 30, start + 90]  # each attempt's own (fake) time
    for seen in plain.seen:
        assert seen.body == body
        assert seen.headers["webhook-signature"] == webhook_signature(
            SECRET, seen.headers["webhook-id"], seen.headers["webhook-timestamp"], seen.body)


def test_query_token_travels_in_its_parameter(
    plain: ScriptedServer, store: Store, clock: FakeClock
) -> None:
    plain.answer(Answer(200))
    profile = parse_profile({"kind": "query_token", "token": "s3cr3t", "param": "adv_sectkn"})
    deliver(store, clock, [planned(postback(f"{plain.url}/pb/x?click_id=c1"), profile)])
    assert dict(parse_qsl(plain.seen[0].query)) == {"click_id": "c1", "adv_sectkn": "s3cr3t"}


def test_header_token_travels_as_a_bearer(
    plain: ScriptedServer, store: Store, clock: FakeClock
) -> None:
    plain.answer(Answer(200))
    profile = parse_profile({"kind": "header_token", "token": "tok-1"})
    deliver(store, clock, [planned(postback(f"{plain.url}/pb/x"), profile)])
    assert plain.seen[0].headers["authorization"] == "Bearer tok-1"


def test_hmac_over_the_raw_body_in_a_header(
    plain: ScriptedServer, store: Store, clock: FakeClock
) -> None:
    plain.answer(Answer(200))
    profile = parse_profile({"kind": "hmac", "secret": "k3y", "prefix": "sha256="})
    body = b'{"event":"af_purchase","revenue":"4.99"}'
    deliver(store, clock, [planned(postback(f"{plain.url}/pb/x", method="POST", body=body),
                                   profile)])
    expected = "sha256=" + hmac.new(b"k3y", body, hashlib.sha256).hexdigest()
    assert plain.seen[0].headers["x-signature"] == expected


def test_hmac_over_the_sorted_query_in_a_parameter(
    plain: ScriptedServer, store: Store, clock: FakeClock
) -> None:
    plain.answer(Answer(200))
    profile = parse_profile({"kind": "hmac", "secret": "k3y", "canonical": "sorted_query",
                             "algorithm": "sha1", "encoding": "base64", "query_param": "sig"})
    url = f"{plain.url}/pb/x?z=last&click_id=c%201&a=first"
    deliver(store, clock, [planned(postback(url), profile)])
    pairs = parse_qsl(plain.seen[0].query, keep_blank_values=True)
    received = dict(pairs)["sig"]
    rest = sorted((k, v) for k, v in pairs if k != "sig")
    canonical = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in rest)
    digest = hmac.new(b"k3y", canonical.encode(), hashlib.sha1).digest()
    assert received == base64.b64encode(digest).decode()


def test_a_secret_from_the_environment_is_used_and_not_stored(
    plain: ScriptedServer, store: Store, clock: FakeClock
) -> None:
    plain.answer(Answer(200))
    profile = parse_profile({"kind": "header_token", "token": {"env": "NET_TOKEN"}},
                            env={"NET_TOKEN": "from-env"})
    deliver(store, clock, [planned(postback(f"{plain.url}/pb/x"), profile)])
    assert plain.seen[0].headers["authorization"] == "Bearer from-env"
    assert json.loads(only_delivery(store)["signing_json"])["token"] == {"env": "NET_TOKEN"}


def test_resend_signs_again_with_a_fresh_timestamp(
    plain: ScriptedServer, store: Store, clock: FakeClock
) -> None:
    plain.answer(Answer(200))
    body = b'{"n":1}'
    profile = parse_profile({"kind": "standard_webhooks", "secret": SECRET})
    deliver(store, clock, [planned(postback(f"{plain.url}/hooks", method="POST", body=body),
                                   profile)])
    clock.advance(600)
    detail = resend(store, only_delivery(store)["id"], clock)
    first, again = plain.seen
    assert again.headers["webhook-id"] == first.headers["webhook-id"]
    assert int(again.headers["webhook-timestamp"]) == int(first.headers["webhook-timestamp"]) \
        + 600
    assert again.headers["webhook-signature"] == webhook_signature(
        SECRET, again.headers["webhook-id"], again.headers["webhook-timestamp"], body)
    assert [a["number"] for a in detail["attempt_log"]] == [1, 2]
    assert detail["attempts"] == 2 and detail["state"] == "delivered"
