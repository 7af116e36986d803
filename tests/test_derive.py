"""Raw first, derived after: a capture committed raw and derived later is the capture the
inline path stored, for hypothesis requests and every bundled scenario's traffic; derivation
happens once across processes; reads wait for it, and say so when it lags."""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.capture.derive import DeriveLimits, derive
from sandbox.capture.deriver import Deriver
from sandbox.capture.record import InboundRequest, build_record, raw_record
from sandbox.capture.trust import judge, parse_verification, stored_replay_key
from sandbox.capture.view import capture_view
from sandbox.resources import scenarios_dir
from sandbox.scenarios.load import load_scenario
from sandbox.scenarios.render import render_run
from sandbox.signing import OutgoingRequest, parse_profile, sign
from sandbox.store import Store
from sandbox.store.captures import CaptureFilter, write_capture
from sandbox.store.derivation import DeriverLagging
from sandbox.store.records import Answer, StoredCapture
from tests.signing_helpers import PROFILES

LIMITS = DeriveLimits()
ANSWER = Answer(200, {}, None, 0)
RECEIVED = "2026-12-03T10:00:00.000001Z"
TOKEN_FLAG = {"kind": "query_token", "token": "s3cret"}


def inline(store: Store, request: InboundRequest, profile_raw: dict | None = None) -> int:
    """What the request path stored before derivation moved off it."""
    record = build_record(request, decoded_limit=LIMITS.decoded, parse_limits=LIMITS.parse)
    profile = parse_verification(profile_raw)
    if profile is not None:
        result = judge(profile, request, now=datetime.fromisoformat(request.received_at),
                       seen_before=lambda key: store.captures.accepted_before(
                           request.channel, key))
        record.verdict, record.verdict_detail = result.verdict, result.to_dict()
        record.replay_key = stored_replay_key(result)
    return int(store.captures.insert(record, ANSWER))


def committed_raw(store: Store, request: InboundRequest) -> int:
    """What the request path stores now."""
    capture_id, _ = store.writer.run(write_capture(raw_record(request), ANSWER))
    return int(capture_id)


def same_but_id(left: StoredCapture | None, right: StoredCapture | None) -> None:
    assert left is not None and right is not None
    assert dataclasses.replace(left, id=0) == dataclasses.replace(right, id=0)
    assert capture_view(left) == capture_view(dataclasses.replace(right, id=left.id))


def both_ways(store: Store, deriver: Deriver, request: InboundRequest,
              profile: dict | None = None) -> None:
    if profile is not None:
        store.channels.put(request.channel, {}, profile)
    expected = inline(store, request, profile)
    raw_id = committed_raw(store, request)
    assert deriver.derive_once() == 1
    same_but_id(store.captures.get(expected), store.captures.get(raw_id))


@pytest.fixture
def deriving(tmp_path: Path):
    store = Store(tmp_path / "derive.db")
    yield store, Deriver(store, LIMITS)
    store.close()


names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-", min_size=1, max_size=10)
values = st.text(max_size=20)
header_values = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20)
json_bodies = st.dictionaries(
    st.sampled_from(["click_id", "event_name", "revenue", "currency", "af_revenue", "x", "idfa"]),
    st.one_of(values, st.integers(), st.floats(allow_nan=False), st.none()), max_size=5,
).map(lambda d: json.dumps(d).encode())
bodies = st.one_of(
    st.just((b"", None, None)),
    st.binary(max_size=200).map(lambda b: (b, "application/octet-stream", None)),
    json_bodies.map(lambda b: (b, "application/json", None)),
    json_bodies.map(lambda b: (gzip.compress(b), "application/json", "gzip")),
    st.lists(st.tuples(names, values), max_size=4).map(
        lambda q: (urlencode(q).encode(), "application/x-www-form-urlencoded", None)),
    st.text(max_size=60).map(lambda t: (t.encode(), None, None)),
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=st.sampled_from(["GET", "POST", "PUT"]),
       query=st.lists(st.tuples(st.sampled_from(["click_id", "event", "revenue", "token",
                                                 "idfa", "n"]) | names, values), max_size=5),
       headers=st.lists(st.tuples(names, header_values), max_size=4),
       body=bodies, verify=st.booleans())
def test_a_derived_capture_is_the_inline_one(deriving, method, query, headers, body, verify):
    store, deriver = deriving
    payload, content_type, encoding = body
    sent = list(headers)
    if content_type:
        sent.append(("Content-Type", content_type))
    if encoding:
        sent.append(("Content-Encoding", encoding))
    channel = "flagged" if verify else "net1"
    request = InboundRequest(method, f"/pb/{channel}/x", urlencode(query), sent, payload,
                             "127.0.0.1", RECEIVED, len(payload), channel)
    both_ways(store, deriver, request, TOKEN_FLAG if verify else None)


def test_a_flagged_replay_is_judged_against_the_captures_before_it(deriving):
    """Replays are judged in id order, within one batch too."""
    store, deriver = deriving
    profile = PROFILES["standard_webhooks"]  # flag: both accepted, the copy judged a replay
    store.channels.put("net", {}, profile)
    signed = sign(parse_profile(profile), OutgoingRequest(
        "POST", "http://127.0.0.1/pb/net?click_id=c-1", (("Content-Type", "application/json"),),
        b'{"a": 1}'), message_id="m1", at=datetime.fromisoformat(RECEIVED))
    parts = urlsplit(signed.url)
    request = InboundRequest("POST", parts.path, parts.query, list(signed.headers), signed.body,
                             "127.0.0.1", RECEIVED, len(signed.body), "net")
    first, second = committed_raw(store, request), committed_raw(store, request)
    assert deriver.derive_once() == 2
    verdicts = [store.captures.get(i).verdict for i in (first, second)]  # type: ignore[union-attr]
    assert verdicts[0] == "valid" and verdicts[1] == "replayed", verdicts


BUNDLED = sorted(scenarios_dir().glob("*.yaml"))


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_every_bundled_scenarios_traffic_derives_as_it_was_stored_inline(deriving, path):
    store, deriver = deriving
    postbacks = []
    for postback in render_run(load_scenario(path)):
        postbacks.append(postback)
        if len(postbacks) == 25:
            break
    assert postbacks, f"{path.name} sent nothing"
    for postback in postbacks:
        parts = urlsplit(postback.url)
        body = postback.body or b""
        request = InboundRequest(postback.method, parts.path or "/", parts.query,
                                 list(postback.headers), body, "127.0.0.1", RECEIVED, len(body),
                                 postback.network)
        both_ways(store, deriver, request)


def test_two_derivers_never_derive_the_same_capture(tmp_path: Path):
    path = tmp_path / "two.db"
    first_store, second_store = Store(path), Store(path)
    derived: dict[str, list[int]] = {"a": [], "b": []}

    class Counting(Deriver):
        def __init__(self, store: Store, name: str) -> None:
            super().__init__(store, LIMITS, batch=7)
            self.name = name

        def _derive_all(self, raw):  # type: ignore[no-untyped-def]
            derived[self.name] += [capture.id for capture in raw]
            return super()._derive_all(raw)

    try:
        request = InboundRequest("GET", "/pb/n/x", "click_id=1", [], b"", None, RECEIVED, 0, "n")
        ids = [committed_raw(first_store, request) for _ in range(40)]
        a, b = Counting(first_store, "a"), Counting(second_store, "b")
        while first_store.derivation.first_underived() is not None:
            a.derive_once()
            b.derive_once()
        assert sorted(derived["a"] + derived["b"]) == ids
        assert derived["a"] and not derived["b"]  # b stood by: a held the lease
    finally:
        first_store.close()
        second_store.close()


def test_a_dead_holders_lease_is_taken_over(deriving):
    store, deriver = deriving
    dead = f"{2**22 + 12345}:gone"  # above pid_max: no such process
    assert store.derivation.hold_lease(dead, now=1000.0) == (True, 1005.0)
    assert store.derivation.hold_lease(deriver.holder, now=1001.0)[0]  # unexpired, holder gone


def test_a_live_holders_lease_is_respected_until_it_expires(deriving):
    store, _ = deriving
    assert store.derivation.hold_lease(f"{os.getpid()}:one", now=1000.0) == (True, 1005.0)
    assert store.derivation.hold_lease(f"{os.getpid()}:two", now=1001.0) == (False, 1005.0)
    assert store.derivation.hold_lease(f"{os.getpid()}:two", now=1006.0)[0]  # it ran out


def test_a_read_waits_for_the_deriver_then_sees_every_capture_derived(deriving):
    store, deriver = deriving
    store.derivation.on_wait = deriver.hurry  # as the capture desk wires it
    request = InboundRequest("GET", "/pb/n/x", "click_id=c-9&event=install", [], b"", None,
                             RECEIVED, 0, "n")
    capture_id = committed_raw(store, request)
    try:
        found = store.captures.page(CaptureFilter(keys={"click_id": "c-9"}), limit=5)
    finally:
        deriver.stop()
    assert [capture.id for capture in found] == [capture_id]
    assert found[0].query == {"click_id": ["c-9"], "event": ["install"]}


def test_a_read_says_so_when_the_deriver_lags(deriving):
    store, _ = deriving
    store.derivation.settle_seconds = 0.05  # nothing derives: the read gives up
    request = InboundRequest("GET", "/pb/n/x", "", [], b"", None, RECEIVED, 0, "n")
    committed_raw(store, request)
    with pytest.raises(DeriverLagging) as raised:
        store.captures.count()
    assert raised.value.status == 503 and raised.value.code == "deriver_lagging"
    assert "1 captures behind" in raised.value.message


def test_a_capture_derivation_fails_on_is_kept_with_a_note(deriving, monkeypatch):
    store, deriver = deriving
    request = InboundRequest("GET", "/pb/n/x", "click_id=7", [], b"", None, RECEIVED, 0, "n")
    capture_id = committed_raw(store, request)

    def broken(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr("sandbox.capture.deriver.derive", broken)
    assert deriver.derive_once() == 1
    stored = store.captures.get(capture_id)
    assert stored is not None and stored.query_string == "click_id=7"
    assert stored.body_note == "not derived: ValueError: a bug"


def test_derive_is_pure(deriving):
    """The same raw row derives to the same record, whenever it is derived."""
    store, _ = deriving
    request = InboundRequest("POST", "/pb/n/x", "click_id=1", [("Content-Type",
                             "application/json")], b'{"revenue": "1.5"}', None, RECEIVED, 18,
                             "n")
    capture_id = committed_raw(store, request)
    row = store.derivation.underived(1)[0]  # the raw row, read without waiting for derivation
    assert row.id == capture_id
    assert derive(row, LIMITS) == derive(row, LIMITS)
