"""SKAdNetwork 4 rules: windows and delays, tiers and digits, conversion values and locks,
non-winning postbacks, and determinism with the seed."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.scenarios.skan_section import ValueRule
from sandbox.signing import generate_private_key
from sandbox.skan import SkanStream
from sandbox.skan.rules import (
    DEVELOPER,
    MINUTE,
    PRODUCTION,
    Update,
    WindowValue,
    plan_postbacks,
    timeline,
    updates,
    window_of,
    window_values,
)
from sandbox.skan.stream import paid_journeys
from tests.skan_helpers import DAY, build, journey

KEY = generate_private_key()
UPDATED = [WindowValue(fine=40, coarse="high", updated=True) for _ in range(3)]


def plans(tier: int, *, did_win: bool = True, values: list[WindowValue] | None = None,
          seed: int = 1, line: Any = PRODUCTION) -> list:
    return plan_postbacks(tier=tier, did_win=did_win, values=values or UPDATED, line=line,
                          rng=random.Random(seed))


def bodies(postbacks: list) -> list[dict[str, Any]]:
    return [json.loads(p.body) for p in postbacks]


@pytest.mark.parametrize(("days", "window"), [
    (0, 0), (1.99, 0), (2, 1), (6.99, 1), (7, 2), (34.99, 2), (35, None), (-0.1, None)])
def test_conversion_windows(days: float, window: int | None) -> None:
    assert window_of(days * DAY) == window


@pytest.mark.parametrize(("tier", "count"), [(0, 1), (1, 3), (2, 3), (3, 3)])
def test_tier_0_sends_only_the_first_postback(tier: int, count: int) -> None:
    assert [p.index for p in plans(tier)] == list(range(count))


@pytest.mark.parametrize(("tier", "digits", "fine", "coarse"), [
    (3, 4, 40, None), (2, 3, 40, None), (1, 2, None, "high"), (0, 2, None, None)])
def test_first_postback_contents_by_tier(tier: int, digits: int, fine: int | None,
                                         coarse: str | None) -> None:
    first = plans(tier)[0]
    assert (first.digits, first.fine, first.coarse) == (digits, fine, coarse)
    assert first.source_app is (tier == 3) and first.country is (tier == 3)


@pytest.mark.parametrize("tier", [1, 2, 3])
def test_later_windows_carry_coarse_values_and_two_digits(tier: int) -> None:
    later = plans(tier)[1:]
    assert [(p.digits, p.fine, p.coarse, p.source_app) for p in later] == \
        [(2, None, "high", False)] * 2


def test_later_windows_send_only_when_the_app_updated_in_them() -> None:
    values = [WindowValue(fine=1, coarse="low", updated=True), WindowValue(),
              WindowValue(fine=9, coarse="medium", updated=True)]
    assert [(p.index, p.coarse) for p in plans(3, values=values)] == \
        [(0, None), (2, "medium")]


def test_non_winning_postbacks_only_first_window_without_values_or_source_app() -> None:
    (only,) = plans(3, did_win=False)
    assert (only.index, only.fine, only.coarse, only.source_app, only.country) == \
        (0, None, None, False, False)


def test_delays_follow_the_window_end() -> None:
    first, second, third = plans(1, seed=7)
    assert 2 * DAY + DAY <= first.send_offset <= 2 * DAY + 2 * DAY
    assert 7 * DAY + DAY <= second.send_offset <= 7 * DAY + 6 * DAY
    assert 35 * DAY + DAY <= third.send_offset <= 35 * DAY + 6 * DAY


def test_developer_timeline_is_minutes_and_compress_divides() -> None:
    first, second, third = plans(1, line=DEVELOPER)
    assert 8 * MINUTE <= first.send_offset <= 13 * MINUTE
    assert 11 * MINUTE <= second.send_offset <= 16 * MINUTE
    assert 14 * MINUTE <= third.send_offset <= 19 * MINUTE
    fast = plans(1, line=timeline("developer", 60))
    assert [p.send_offset for p in fast] == pytest.approx(
        [p.send_offset / 60 for p in (first, second, third)])


RULES = (ValueRule(event="reg", fine=8, coarse="medium"),
         ValueRule(event="buy", fine=32, coarse="high"),
         ValueRule(revenue_usd=20, fine=63, coarse="high", lock=True))


def test_the_last_rule_that_holds_sets_the_value() -> None:
    trip = journey([("open", 0.1, None), ("reg", 0.2, None), ("open", 0.3, None),
                    ("buy", 0.5, 5.0), ("buy", 0.6, 16.0)])
    found = updates(trip.events, trip.install.time, RULES)
    assert [(u.fine, u.lock) for u in found] == [(8, False), (8, False), (32, False),
                                                  (63, True)]


def test_a_locked_window_ignores_later_updates() -> None:
    calls = [Update(0.5 * DAY, 8, "medium"), Update(1.0 * DAY, 63, "high", lock=True),
             Update(1.5 * DAY, 1, "low"), Update(3 * DAY, 2, "low")]
    first, second, third = window_values(calls)
    assert (first.fine, first.coarse, first.locked_at) == (63, "high", 1.0 * DAY)
    assert (second.fine, second.updated) == (2, True) and not third.updated
    planned = plans(2, values=[first, second, third], seed=3)
    assert planned[0].fine == 63
    assert DAY + DAY <= planned[0].send_offset <= DAY + 2 * DAY  # delay runs from the lock


def test_without_updates_the_first_postback_has_fine_zero_or_no_coarse() -> None:
    empty = [WindowValue() for _ in range(3)]
    assert [(p.fine, p.coarse) for p in plans(3, values=empty)] == [(0, None)]
    assert [(p.fine, p.coarse) for p in plans(1, values=empty)] == [(None, None)]


@pytest.mark.parametrize(("tier", "source"), [(3, "4271"), (2, "271"), (1, "71"), (0, "71")])
def test_source_identifier_keeps_the_rightmost_digits(tier: int, source: str) -> None:
    scenario, config = build(tiers={str(tier): 1}, non_winning=0, redownload=0)
    trip = journey([("af_complete_registration", 0.5, None), ("af_purchase", 4, 3.0)])
    docs = bodies([p for p in SkanStream(scenario, config, KEY).for_journey(trip)
                   if "well-known" not in p.url])
    assert docs[0]["source-identifier"] == source
    assert all(doc["source-identifier"] == "71" for doc in docs[1:])
    assert ("source-app-id" in docs[0]) is (tier == 3)
    assert ("country-code" in docs[0]) is (tier == 3)
    if tier >= 2:
        assert docs[0]["conversion-value"] == 8 and "coarse-conversion-value" not in docs[0]
    assert [d["coarse-conversion-value"] for d in docs[1:]] == (["high"] if tier else [])


def test_non_winning_postback_goes_to_the_other_network_without_source_app_id() -> None:
    scenario, config = build(tiers={"3": 1}, non_winning=1)
    trip = journey([("af_purchase", 4, 3.0)])
    postbacks = SkanStream(scenario, config, KEY).for_journey(trip)
    losers = [p for p in postbacks if p.network == "beta"]
    assert len(losers) == 1 and "well-known" not in losers[0].url  # no developer copy
    assert losers[0].kind == "aak"
    body = json.loads(losers[0].body)
    assert "conversion-value" not in body and "coarse-conversion-value" not in body
    payload = json.loads(_b64url_json(body["jws-string"].split(".")[1]))
    assert payload["did-win"] is False and payload["postback-sequence-index"] == 0
    assert "publisher-item-identifier" not in payload


def _b64url_json(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_developer_copies_follow_winning_postbacks() -> None:
    scenario, config = build(tiers={"2": 1}, non_winning=0)
    postbacks = SkanStream(scenario, config, KEY).for_journey(
        journey([("af_purchase", 4, 3.0)]))
    copies = [p for p in postbacks if "well-known" in p.url]
    assert [p.url for p in copies] == \
        ["http://127.0.0.1:9/pb/skan-dev/.well-known/skadnetwork/report-attribution/"] * 2
    assert {p.body for p in copies} == {p.body for p in postbacks if p not in copies}


def test_only_ios_installs_without_consent_when_asked() -> None:
    scenario, config = build(installs="without_att_consent")
    trip = journey([])
    stream = SkanStream(scenario, config, KEY)
    assert trip.install.device.att_status == 3 and stream.for_journey(trip) == []
    trip.install.device.att_status = 2
    assert stream.for_journey(trip)


def test_same_seed_and_key_reproduce_byte_for_byte() -> None:
    scenario, config = build()
    first = [p.to_json() for p in SkanStream(scenario, config, KEY, seed=5).postbacks()]
    again = [p.to_json() for p in SkanStream(scenario, config, KEY, seed=5).postbacks()]
    other = [p.to_json() for p in SkanStream(scenario, config, KEY, seed=6).postbacks()]
    assert first and first == again and first != other


def test_stream_is_in_due_order_and_numbered() -> None:
    scenario, config = build(timeline="developer")
    postbacks = list(SkanStream(scenario, config, KEY).postbacks(first_seq=10))
    assert [p.seq for p in postbacks] == list(range(10, 10 + len(postbacks)))
    assert [p.scheduled_at for p in postbacks] == sorted(p.scheduled_at for p in postbacks)
    assert {p.kind for p in postbacks} == {"skan", "aak"}
    installs = {j.install.install_id: j.install.time for _, j in paid_journeys(scenario, 5)}
    assert all(8 * MINUTE <= p.scheduled_at - installs[p.install_id] <= 19 * MINUTE
               for p in postbacks)


def test_the_skan_stream_sees_the_main_streams_installs() -> None:
    from sandbox.scenarios.generate import TrafficGenerator

    scenario, config = build(non_winning=0)
    postbacks = list(SkanStream(scenario, config, KEY).postbacks())
    main = {j.install.install_id for j in TrafficGenerator(scenario).journeys(sent_only=True)
            if j.install.touch is not None}
    assert main and {p.install_id for p in postbacks} == main


window_value = st.builds(WindowValue, fine=st.one_of(st.none(), st.integers(0, 63)),
                         coarse=st.sampled_from([None, "low", "medium", "high"]),
                         updated=st.booleans(),
                         locked_at=st.one_of(st.none(), st.floats(0, 2 * DAY - 1)))


@given(tier=st.integers(0, 3), did_win=st.booleans(), seed=st.integers(0, 2**32),
       values=st.lists(window_value, min_size=3, max_size=3),
       line=st.sampled_from([PRODUCTION, DEVELOPER, timeline("production", 1440)]))
def test_every_plan_keeps_apples_rules(tier: int, did_win: bool, seed: int,
                                       values: list[WindowValue], line: Any) -> None:
    planned = plan_postbacks(tier=tier, did_win=did_win, values=values, line=line,
                             rng=random.Random(seed))
    assert planned[0].index == 0
    if tier == 0 or not did_win:
        assert len(planned) == 1
    for plan in planned:
        assert plan.fine is None or plan.coarse is None
        assert plan.fine is None or 0 <= plan.fine <= 63
        if plan.index:
            assert (plan.digits, plan.fine, plan.source_app) == (2, None, False)
        if not did_win or tier == 0:
            assert (plan.fine, plan.coarse, plan.source_app) == (None, None, False)
        minimum = line.delays[plan.index][0] / line.compress
        assert plan.send_offset >= minimum


@given(seed=st.integers(0, 10**6), tier=st.sampled_from(["0", "1", "2", "3"]))
def test_generated_postbacks_keep_apples_rules(seed: int, tier: str) -> None:
    scenario, config = build(tiers={tier: 1}, non_winning=0.5, web_share=0.5)
    stream = SkanStream(scenario, config, KEY, seed=seed)
    trip = journey([("af_tutorial_completion", 0.1, None), ("af_purchase", 3, 25.0),
                    ("af_purchase", 10, 1.0)], install_id=f"in_{seed}")
    for postback in stream.for_journey(trip):
        if postback.kind != "skan":
            continue
        doc = json.loads(postback.body)
        index, digits = doc["postback-sequence-index"], len(doc["source-identifier"])
        assert not ("source-app-id" in doc and "source-domain" in doc)
        if not doc["did-win"]:
            assert index == 0 and "source-app-id" not in doc and "source-domain" not in doc
        if index:
            assert digits == 2 and "conversion-value" not in doc and tier != "0"
        else:
            assert digits == {"3": 4, "2": 3}.get(tier, 2)
