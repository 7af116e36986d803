"""Chaos on purpose: each fault kind does what it says, is recorded in the delivery log and is
named on the wire in X-Sandbox-Chaos (unless turned off), and reproduces with its seed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest

from sandbox.clock import FakeClock
from sandbox.delivery.chaos import CHAOS_HEADER, EDGE_VALUE, WRONG_TOKEN, ChaosMonkey
from sandbox.delivery.plan import Planned
from sandbox.scenarios.model import Chaos
from sandbox.signing import (
    HmacProfile,
    NoneProfile,
    Profile,
    QueryTokenProfile,
    parse_profile,
)
from sandbox.store import Store
from tests.delivery_helpers import Answer, ScriptedServer, deliver, planned, postback

TOKEN = parse_profile({"kind": "query_token", "token": "right-token"})
UNSIGNED = NoneProfile()
URL = "http://127.0.0.1:9/pb/net/x?click_id=c1&idfa=ABC&revenue=1.5&event=af_purchase"


def stream(profile: Profile = UNSIGNED) -> list[Planned]:
    """Two installs, each followed by one event, 10 minutes apart."""
    items = []
    for n, (kind, install) in enumerate(
            [("install", "i1"), ("event", "i1"), ("install", "i2"), ("event", "i2")], start=1):
        items.append(planned(postback(URL, seq=n, kind=kind, install_id=install,
                                      at=1767571200.0 + 600 * n, event_name="af_purchase"),
                             profile))
    return items


def apply(profile: Profile = UNSIGNED, seed: int = 1, **shares: float) -> list[Planned]:
    return list(ChaosMonkey(Chaos(**shares), seed).apply(stream(profile)))


def marker(item: Planned) -> str | None:
    return item.request.header(CHAOS_HEADER)


def query(item: Planned) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(item.request.url).query, keep_blank_values=True))


def test_no_chaos_changes_nothing() -> None:
    assert apply() == stream()


def test_duplicates_are_sent_twice_with_the_same_postback_id() -> None:
    out = apply(duplicate=1.0)
    assert [item.postback.seq for item in out] == [1, 1, 2, 2, 3, 3, 4, 4]
    assert [marker(item) for item in out[:2]] == [None, "duplicate"]
    assert out[0].postback.postback_id == out[1].postback.postback_id
    assert out[1].chaos == ("duplicate",)


def test_out_of_order_sends_the_event_before_its_install() -> None:
    out = apply(out_of_order=1.0)
    assert [(item.postback.kind, item.postback.install_id) for item in out] == [
        ("event", "i1"), ("install", "i1"), ("event", "i2"), ("install", "i2")]
    assert [marker(item) for item in out] == [None, "out_of_order", None, "out_of_order"]
    assert out[1].send_at >= out[0].send_at  # a paced run keeps the swap too


def test_late_postbacks_go_after_the_rest_and_later_on_the_timeline() -> None:
    out = apply(late=1.0, late_by=3600)
    assert [item.postback.seq for item in out] == [1, 2, 3, 4]
    assert all(marker(item) == "late" for item in out)
    assert [item.send_at - item.postback.scheduled_at for item in out] == [3600] * 4
    some = apply(late=0.5, seed=4)
    late = [item.postback.seq for item in some if item.chaos == ("late",)]
    on_time = [item.postback.seq for item in some if not item.chaos]
    assert late and on_time and [item.postback.seq for item in some] == on_time + late


def test_wrong_and_missing_tokens_only_hit_signed_networks() -> None:
    wrong = apply(TOKEN, wrong_token=1.0)
    assert all(isinstance(item.profile, QueryTokenProfile) for item in wrong)
    assert {item.profile.token.value for item in wrong} == {WRONG_TOKEN}
    missing = apply(TOKEN, missing_token=1.0)
    assert all(isinstance(item.profile, NoneProfile) for item in missing)
    assert {marker(item) for item in missing} == {"missing_token"}
    assert apply(wrong_token=1.0, missing_token=1.0) == stream()  # unsigned: nothing to break


def test_wrong_hmac_secret() -> None:
    profile = parse_profile({"kind": "hmac", "secret": "right"})
    out = apply(profile, wrong_token=1.0)
    assert all(isinstance(i.profile, HmacProfile) and i.profile.secret.value != "right"
               for i in out)


def test_missing_optional_parameters_are_sent_empty() -> None:
    out = apply(missing_optional=1.0)
    assert query(out[0]) == {"click_id": "c1", "idfa": "", "revenue": "", "event": "af_purchase"}
    assert marker(out[0]) == "missing_optional"


def test_missing_optional_keeps_the_token_parameter() -> None:
    profile = parse_profile({"kind": "query_token", "token": "t", "param": "adv_sectkn"})
    item = planned(postback(f"{URL}&adv_sectkn=t&sub=x"), profile)
    (out,) = ChaosMonkey(Chaos(missing_optional=1.0), 1).apply([item])
    assert query(out)["adv_sectkn"] == "t" and query(out)["sub"] == ""


def test_missing_optional_empties_json_fields_but_not_the_click_id() -> None:
    body = json.dumps({"click_id": "c1", "platform": "ios", "revenue": 2}).encode()
    item = planned(postback("http://127.0.0.1:9/hook", method="POST", body=body))
    (out,) = ChaosMonkey(Chaos(missing_optional=1.0), 1).apply([item])
    assert json.loads(out.request.body) == {"click_id": "c1", "platform": "", "revenue": ""}


def test_encoding_edges_arrive_encoded_and_decode_exactly() -> None:
    out = apply(encoding_edge=1.0)
    values = query(out[0])
    assert values["idfa"] == EDGE_VALUE and values["click_id"] == "c1"
    assert values["revenue"] == "1.5"  # only the first optional value is replaced
    raw = urlsplit(out[0].request.url).query
    assert "&" not in raw.split("idfa=")[1].split("&revenue")[0]  # the & is escaped


def test_mark_false_keeps_the_log_record_but_not_the_header() -> None:
    out = apply(duplicate=1.0, mark=False)
    assert all(marker(item) is None for item in out)
    assert out[1].chaos == ("duplicate",)


def test_faults_reproduce_with_the_seed_and_change_with_it() -> None:
    shares = {"duplicate": 0.3, "late": 0.3, "missing_optional": 0.3, "encoding_edge": 0.3}
    runs = [[(i.postback.seq, i.chaos) for i in apply(seed=s, **shares)] for s in (5, 5, 6)]
    assert runs[0] == runs[1]
    seeds = [[(i.postback.seq, i.chaos) for i in apply(seed=s, **shares)] for s in range(20)]
    assert len({tuple(r) for r in seeds}) > 1


@pytest.fixture(scope="module")
def plain() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    yield server
    server.close()


def test_markers_reach_the_wire_and_the_delivery_log(
    plain: ScriptedServer, store: Store, clock: FakeClock
) -> None:
    plain.answer(Answer(200))
    items = [planned(postback(f"{plain.url}/pb/net/x?click_id=c{n}&idfa=A", seq=n))
             for n in range(1, 4)]
    chaotic = list(ChaosMonkey(Chaos(duplicate=1.0, missing_optional=1.0), 2).apply(items))
    deliver(store, clock, chaotic)
    headers = sorted(seen.headers.get(CHAOS_HEADER.lower()) for seen in plain.seen)
    assert headers == ["missing_optional"] * 3 + ["missing_optional,duplicate"] * 3
    logged = sorted(row["chaos"] for row in store.connection().execute(
        "SELECT chaos FROM deliveries"))
    assert logged == headers
    ids = [row[0] for row in store.connection().execute(
        "SELECT postback_id FROM deliveries ORDER BY postback_id")]
    assert len(ids) == 6 and len(set(ids)) == 3
