"""Synthetic traffic: identifier formats, devices, IPs by country, determinism, streaming."""

from __future__ import annotations

import io
import ipaddress
import re
from types import GeneratorType

from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.generate import TrafficGenerator, binomial, sorted_uniform
from sandbox.geo import COUNTRIES
from sandbox.journey import ZERO_UUID
from sandbox.render import render_run, write_ndjson
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
