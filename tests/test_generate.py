"""Synthetic traffic: identifier formats, devices, IPs by country, determinism, streaming."""

from __future__ import annotations

import io
import ipaddress
import re
from dataclasses import FrozenInstanceError, astuple
from types import GeneratorType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.scenarios.generate import TrafficGenerator, binomial, sorted_uniform
from sandbox.scenarios.geo import COUNTRIES
from sandbox.scenarios.journey import ZERO_UUID
from sandbox.scenarios.model import Scenario
from sandbox.scenarios.render import RenderedPostback, render_run, write_ndjson
from sandbox.scenarios.render_jobs import write_run_ndjson
from tests.scenario_helpers import build

UPPER_UUID = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$")
LOWER_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
SCENARIO = build(users={"countries": {"US": 1, "DE": 1, "JP": 1, "BR": 1},
                        "platforms": {"ios": 1, "android": 1}})
JOURNEYS = list(TrafficGenerator(SCENARIO).journeys())


def test_ios_identifiers() -> None:
    ios = [j.install.device for j in JOURNEYS if j.install.device.platform == "ios"]
    assert ios
    for device in ios:
        assert device.idfv and UPPER_UUID.match(device.idfv)
        if device.att_status == 3:
            assert device.idfa and UPPER_UUID.match(device.idfa)
        else:
            assert device.idfa == ZERO_UUID
        assert device.gaid is None and device.android_id is None
        assert device.user_agent.startswith("Mozilla/5.0 (iPhone; CPU iPhone OS ")
        assert device.os_version.replace(".", "_") in device.user_agent
        assert device.model.startswith("iPhone") and device.brand == "apple"


def test_android_identifiers() -> None:
    android = [j.install.device for j in JOURNEYS if j.install.device.platform == "android"]
    assert android
    for device in android:
        assert device.gaid == ZERO_UUID or LOWER_UUID.match(device.gaid or "")
        assert re.fullmatch(r"[0-9a-f]{16}", device.android_id or "")
        assert device.idfa is None and device.att_status is None
        assert device.user_agent == (
            f"Dalvik/2.1.0 (Linux; U; Android {device.os_version}; {device.model} Build/"
            + device.user_agent.split("Build/")[1])


def test_vendor_style_ids() -> None:
    for journey in JOURNEYS:
        device = journey.install.device
        assert re.fullmatch(r"\d{13}-\d{7}", device.mmp_device_id)
        assert re.fullmatch(r"[0-9a-f]{32}", device.adid)


def test_ips_fall_in_their_country_ranges() -> None:
    for journey in JOURNEYS:
        device = journey.install.device
        address = ipaddress.IPv4Address(device.ip)
        networks = [ipaddress.IPv4Network(c) for c in COUNTRIES[device.country].cidrs]
        assert any(address in net for net in networks)
        assert address.is_global and not device.ip.endswith((".0", ".255"))


def test_every_country_range_is_public() -> None:
    for country in COUNTRIES.values():
        for cidr in country.cidrs:
            assert ipaddress.IPv4Network(cidr).is_global, cidr


def test_events_follow_the_install_in_time_order() -> None:
    for journey in JOURNEYS:
        times = [e.time for e in journey.events]
        assert times == sorted(times)
        assert all(t >= journey.install.time for t in times)


def test_clicks_fall_inside_the_traffic_window() -> None:
    for journey in JOURNEYS:
        touch = journey.install.touch
        if touch is not None and touch.campaign == 0:
            assert SCENARIO.start <= touch.time < SCENARIO.end


def test_journeys_stream_lazily() -> None:
    stream = TrafficGenerator(SCENARIO).journeys()
    assert isinstance(stream, GeneratorType)
    next(stream)


def ndjson(seed: int) -> str:
    out = io.StringIO()
    write_ndjson(render_run(SCENARIO, seed), out)
    return out.getvalue()


@settings(max_examples=5, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_same_seed_same_bytes(seed: int) -> None:
    assert ndjson(seed) == ndjson(seed)


def test_different_seeds_differ() -> None:
    assert ndjson(1) != ndjson(2)


def test_editing_one_campaign_leaves_another_unchanged() -> None:
    def campaigns(clicks: int):  # type: ignore[no-untyped-def]
        return build(networks=[{
            "name": "n", "postbacks": {"install": "https://x.test/{click_id}"},
            "campaigns": [{"name": "a", "clicks": 3000}, {"name": "b", "clicks": clicks}],
        }], attribution={"competing_touch_share": 0})

    def installs_of_a(scenario):  # type: ignore[no-untyped-def]
        return [j.install.install_id for j in TrafficGenerator(scenario).journeys()
                if j.install.touch and j.install.touch.campaign == 0]

    assert installs_of_a(campaigns(100)) == installs_of_a(campaigns(5000))


def test_sorted_uniform_is_sorted_and_bounded() -> None:
    import random

    values = list(sorted_uniform(random.Random(1), 500, 10.0, 5.0))
    assert values == sorted(values) and len(values) == 500
    assert all(10.0 <= v < 15.0 for v in values)


def test_binomial_matches_its_mean() -> None:
    import random

    rng = random.Random(4)
    draws = [binomial(rng, 10_000, 0.02) for _ in range(200)]
    assert abs(sum(draws) / len(draws) - 200) < 5
    assert binomial(rng, 0, 0.5) == 0 and binomial(rng, 10, 0.0) == 0


# --- lazy journeys and render jobs: faster paths, same traffic ------------------------------

MANY = build(
    users={"funnel": [
        {"event": "af_level_achieved", "probability": 0.7, "repeat": 0.75},
        {"event": "af_search", "probability": 0.4, "per": "session", "delay": "1m"},
        {"event": "af_content_view", "probability": 0.3, "requires": "af_level_achieved"},
        {"event": "af_add_to_cart", "probability": 0.5, "requires": "af_content_view"},
    ], "purchases": {"payer_share": 0.2}},
    organic_share=0.2, attribution={"view_through": True, "competing_touch_share": 0.3},
    networks=[
        {"name": "af", "preset": "appsflyer", "endpoint": "https://af.test/pb",
         "send_events": ["af_purchase", "af_level_achieved", "af_search"],
         "campaigns": [{"name": "a", "clicks": 4000}, {"name": "b", "clicks": 2500,
                                                          "impressions": 20000}]},
        {"name": "adj", "preset": "adjust", "endpoint": "https://adj.test/cb",
         "campaigns": [{"name": "c", "clicks": 3000}]},
    ],
)


def test_sent_only_journeys_are_the_full_ones_filtered() -> None:
    generator = TrafficGenerator(MANY)
    full = list(generator.journeys())
    lazy = list(TrafficGenerator(MANY).journeys(sent_only=True))
    assert [j.install for j in lazy] == [j.install for j in full]
    assert any(j.install.organic for j in full) and any(j.events for j in lazy)
    for short, whole in zip(lazy, full, strict=True):
        touch = whole.install.touch
        sent = () if touch is None else generator.sent_events[touch.network]
        assert short.events == [e for e in whole.events if sent is None or e.name in sent]
        assert short.event_count == whole.event_count == len(whole.events)
        assert short.active_days == whole.active_days


def run_bytes(scenario: Scenario, jobs: int) -> tuple[str, dict[str, object]]:
    out = io.StringIO()
    summary = write_run_ndjson(scenario, out, 3, jobs=jobs)
    return out.getvalue(), summary.to_dict()


@pytest.mark.parametrize("jobs", [2, 3, 8])
def test_render_jobs_write_the_same_bytes(jobs: int) -> None:
    single, counts = run_bytes(MANY, 1)
    assert single == ndjson_of(MANY, 3)
    assert counts["postbacks"] == single.count("\n") > 100
    assert run_bytes(MANY, jobs) == (single, counts)


def test_render_jobs_with_a_postback_id_macro_still_match() -> None:
    scenario = build(networks=[{
        "name": "n", "postbacks": {"install": "https://x.test/i?id={postback_id}"},
        "campaigns": [{"name": "a", "clicks": 3000}, {"name": "b", "clicks": 3000}],
    }])
    assert run_bytes(scenario, 2) == run_bytes(scenario, 1)


def test_a_postback_id_in_a_url_is_the_postbacks_own_id() -> None:
    scenario = build(networks=[{
        "name": "n", "send_events": "all",
        "postbacks": {"install": "https://x.test/i?id={postback_id}",
                      "event": {"url": "https://x.test/e?id={postback_id}",
                                "headers": {"X-Id": "{postback_id}"}}},
        "campaigns": [{"name": "a", "clicks": 2000}],
    }])
    postbacks = list(render_run(scenario))
    assert {p.kind for p in postbacks} == {"install", "event"}
    assert all(p.url.endswith(f"?id={p.postback_id}") for p in postbacks)
    assert all(dict(p.headers)["X-Id"] == p.postback_id for p in postbacks if p.kind == "event")
    assert ndjson_of(scenario, 3) == run_bytes(scenario, 1)[0]


def ndjson_of(scenario: Scenario, seed: int) -> str:
    out = io.StringIO()
    write_ndjson(render_run(scenario, seed), out)
    return out.getvalue()


def test_postbacks_are_built_as_frozen_rendered_postbacks() -> None:
    postback = next(iter(render_run(MANY)))
    assert type(postback) is RenderedPostback
    assert postback == RenderedPostback(*astuple(postback))
    with pytest.raises(FrozenInstanceError):
        postback.url = "changed"  # type: ignore[misc]
