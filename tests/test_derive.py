"""Raw first, derived after: a capture committed raw and derived later is the capture the
inline path stored, for hypothesis requests and every bundled scenario's traffic; a capture is
written derived once, by its own process or a sweep; reads wait for it, and say so when it
lags."""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.capture.derive import DeriveLimits, RawCapture, derive, inbound
from sandbox.capture.deriver import Deriver
from sandbox.capture.record import InboundRequest, build_record, raw_record
from sandbox.capture.trust import judge, parse_verification, stored_replay_key
from sandbox.capture.view import capture_view
from sandbox.resources import scenarios_dir
from sandbox.scenarios.load import load_scenario
from sandbox.scenarios.render import render_run
from sandbox.store import Store
from sandbox.store.captures import CaptureFilter, write_capture
from sandbox.store.derivation import DeriverLagging, lease_holder
from sandbox.store.records import Answer, CaptureRecord, StoredCapture

LIMITS = DeriveLimits()
ANSWER = Answer(200, {}, None, 0)
RECEIVED = "2026-12-03T10:00:00.000001Z"
TOKEN_FLAG = {"kind": "query_token", "token": "s3cret"}
NEVER = 3600.0  # a deriver that gathers this long derives only when told to


def judged(store: Store, record: CaptureRecord, request: InboundRequest,
           profile_raw: dict | None) -> CaptureRecord:
    """The verdict, as the request path decides it (in both ways of storing)."""
    profile = parse_verification(profile_raw)
    if profile is not None:
        result = judge(profile, request, now=datetime.fromisoformat(request.received_at),
                       seen_before=lambda key: store.captures.accepted_before(
                           request.channel, key))
        record.verdict, record.verdict_detail = result.verdict, result.to_dict()
        record.replay_key = stored_replay_key(result)
    return record


def inline(store: Store, request: InboundRequest, profile_raw: dict | None = None) -> int:
    """What the request path stored before derivation moved off it."""
    record = build_record(request, decoded_limit=LIMITS.decoded, parse_limits=LIMITS.parse)
    return int(store.captures.insert(judged(store, record, request, profile_raw), ANSWER))


def committed_raw(store: Store, request: InboundRequest, profile_raw: dict | None = None,
                  deriver: Deriver | None = None) -> int:
    """What the request path stores now; handed to ``deriver`` as the capture desk does."""
    record = judged(store, raw_record(request), request, profile_raw)
    capture_id, _ = store.writer.run(write_capture(record, ANSWER))
    if deriver is not None:
        deriver.hand(RawCapture(int(capture_id), request))
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
    raw_id = committed_raw(store, request, profile, deriver)
    assert deriver.derive_handed() == 1
    same_but_id(store.captures.get(expected), store.captures.get(raw_id))


@pytest.fixture
def deriving(any_db: str):
    store = Store(any_db)
    deriver = Deriver(store, LIMITS, gather=NEVER)
    yield store, deriver
    deriver.stop()
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


def test_a_capture_is_written_derived_once(deriving):
    """A capture its own process still holds and a sweep also derives is written once."""
    store, deriver = deriving
    request = InboundRequest("GET", "/pb/n/x", "click_id=1", [], b"", None, RECEIVED, 0, "n")
    ids = [committed_raw(store, request, deriver=deriver) for _ in range(40)]
    assert deriver.sweep() == 40  # as if its process lagged more than the sweep waits
    handed = [RawCapture(i, request) for i in ids]
    assert store.derivation.write(deriver._derive_all(handed)) == 0
    assert store.derivation.first_underived() is None


def test_only_the_lease_holder_sweeps(tmp_path: Path):
    path = tmp_path / "two.db"
    first, second = Store(path), Store(path)
    try:
        request = InboundRequest("GET", "/pb/n/x", "click_id=1", [], b"", None, RECEIVED, 0, "n")
        for _ in range(40):
            committed_raw(first, request)
        a, b = Deriver(first, LIMITS, batch=7), Deriver(second, LIMITS, batch=7)
        assert first.derivation.hold_lease(a.holder)  # a sweeps (or is about to)
        assert b.sweep() == 0
        first.derivation.release_lease(a.holder)
        assert b.sweep() == 40
        assert a.sweep() == 0  # nothing left: it does not even ask for the lease
    finally:
        first.close()
        second.close()


def _lease_row(store: Store, holder: str, expires: float) -> None:
    store.writer.run(lambda conn: conn.execute(
        "UPDATE deriver SET holder = ?, expires = ? WHERE id = 1", (holder, expires)))


def test_a_dead_holders_lease_is_taken_over(deriving):
    store, deriver = deriving
    _lease_row(store, lease_holder("gone").replace(f":{os.getpid()}:", f":{2**22 + 12345}:"),
               time.time() + 60)  # above pid_max: no such process on this host
    assert store.derivation.hold_lease(deriver.holder)


def test_a_holder_on_another_host_keeps_its_lease_until_it_expires(deriving):
    store, deriver = deriving
    _lease_row(store, "elsewhere.example:1:token", time.time() + 60)
    assert not store.derivation.hold_lease(deriver.holder)  # its pid means nothing here
    _lease_row(store, "elsewhere.example:1:token", time.time() - 1)
    assert store.derivation.hold_lease(deriver.holder)


def test_a_live_holders_lease_is_respected_until_it_expires(deriving):
    store, _ = deriving
    _lease_row(store, lease_holder("one"), time.time() + 60)
    assert not store.derivation.hold_lease(lease_holder("two"))
    _lease_row(store, lease_holder("one"), time.time() - 1)
    assert store.derivation.hold_lease(lease_holder("two"))  # it ran out


def test_a_read_hurries_the_deriver_then_sees_every_capture_derived(deriving):
    store, deriver = deriving
    store.derivation.on_wait = deriver.hurry  # as the capture desk wires it
    request = InboundRequest("GET", "/pb/n/x", "click_id=c-9&event=install", [], b"", None,
                             RECEIVED, 0, "n")
    capture_id = committed_raw(store, request, deriver=deriver)  # gathered for an hour
    found = store.captures.page(CaptureFilter(keys={"click_id": "c-9"}), limit=5)
    assert [capture.id for capture in found] == [capture_id]
    assert found[0].query == {"click_id": ["c-9"], "event": ["install"]}


def test_a_read_has_captures_no_process_holds_swept(deriving):
    store, deriver = deriving
    store.derivation.on_stale = deriver.sweep_soon  # as the capture desk wires it
    store.derivation.sweep_after = 0.05
    request = InboundRequest("GET", "/pb/n/x", "click_id=c-8", [], b"", None, RECEIVED, 0, "n")
    capture_id = committed_raw(store, request)  # its process died before deriving it
    found = store.captures.page(CaptureFilter(keys={"click_id": "c-8"}), limit=5)
    assert [capture.id for capture in found] == [capture_id]


def test_a_read_shows_nothing_committed_after_it_settled(deriving, monkeypatch):
    """A capture committed between a read's wait and its query may still be raw: the read
    shows captures up to the newest one when it began, never a half-read one."""
    store, deriver = deriving
    request = InboundRequest("GET", "/pb/n/x", "click_id=c-7", [], b"", None, RECEIVED, 0, "n")
    settled = committed_raw(store, request, deriver=deriver)
    deriver.derive_handed()
    late = committed_raw(store, request, deriver=deriver)  # raw: its deriver gathers
    monkeypatch.setattr(store.derivation, "settle", lambda: settled)  # it came meanwhile
    assert [c.id for c in store.captures.page(CaptureFilter(), limit=5)] == [settled]
    assert [c.id for c in store.captures.select_where("1 = 1", [])] == [settled]
    assert late > settled


def test_a_count_of_raw_columns_does_not_wait(deriving):
    store, _ = deriving
    store.derivation.settle_seconds = 0.05  # nothing derives
    request = InboundRequest("GET", "/pb/n/x", "", [], b"", None, RECEIVED, 0, "n")
    committed_raw(store, request)
    assert store.captures.count() == 1 == store.captures.count(CaptureFilter(channel="n"))


def test_a_read_says_so_when_the_deriver_lags(deriving):
    store, _ = deriving
    store.derivation.settle_seconds = 0.05  # nothing derives: the read gives up
    request = InboundRequest("GET", "/pb/n/x", "", [], b"", None, RECEIVED, 0, "n")
    committed_raw(store, request)
    with pytest.raises(DeriverLagging) as raised:
        store.captures.count(CaptureFilter(keys={"click_id": "c-1"}))
    assert raised.value.status == 503 and raised.value.code == "deriver_lagging"
    assert "1 captures behind" in raised.value.message


def test_a_capture_derivation_fails_on_is_kept_with_a_note(deriving, monkeypatch):
    store, deriver = deriving
    request = InboundRequest("GET", "/pb/n/x", "click_id=7", [], b"", None, RECEIVED, 0, "n")
    capture_id = committed_raw(store, request, deriver=deriver)

    def broken(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr("sandbox.capture.deriver.derive", broken)
    assert deriver.derive_handed() == 1
    stored = store.captures.get(capture_id)
    assert stored is not None and stored.query_string == "click_id=7"
    assert stored.body_note == "not derived: ValueError: a bug"


def test_derive_is_pure_and_the_stored_raw_row_is_the_request(deriving):
    """The same raw row derives to the same record, whenever it is derived, and the stored
    raw parts give back the request as the process that took it held it."""
    store, _ = deriving
    request = InboundRequest("POST", "/pb/n/x", "click_id=1", [("Content-Type",
                             "application/json")], b'{"revenue": "1.5"}', None, RECEIVED, 18,
                             "n")
    capture_id = committed_raw(store, request)
    row = store.derivation.underived(1, up_to=capture_id)[0]  # read without waiting
    assert inbound(row) == RawCapture(capture_id, request)
    assert derive(inbound(row), LIMITS) == derive(RawCapture(capture_id, request), LIMITS)
