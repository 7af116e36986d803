"""Statistical checks on one large seeded run, within stated tolerances.

One run of ~15,000 installs (seed 20260105). Tolerances are several standard errors wide,
and the seed is fixed, so the test is both meaningful and stable:
- CTIT (normal profile, attributed installs): 75 % +/- 3 pp within 1 h, 94 % +/- 2 pp within 24 h
- retention: D1 = 0.26 +/- 0.02, D7 = 0.26 * 7^-0.442 (~0.11) +/- 0.015
- zeroed ids: iOS IDFA zero share = 1 - authorized share (0.70 +/- 0.03); GAID zero 6 % +/- 1.5 pp
- payers: 2 % +/- 0.6 pp of installs; every revenue value is a store price point of its currency
"""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.scenarios import money
from sandbox.scenarios.generate import TrafficGenerator
from sandbox.scenarios.geo import COUNTRIES
from sandbox.scenarios.journey import ZERO_UUID, Journey
from tests.scenario_helpers import build

SEED = 20260105


@pytest.fixture(scope="module")
def journeys() -> list[Journey]:
    scenario = build(
        users={"countries": {"US": 4, "DE": 2, "JP": 1, "BR": 2, "IN": 1},
               "platforms": {"ios": 0.4, "android": 0.6}, "funnel": []},
        organic_share=0.1, attribution={"competing_touch_share": 0},
        networks=[{"name": "n", "postbacks": {"install": "https://x.test/{click_id}"},
                   "campaigns": [{"name": "c", "clicks": 700_000, "install_rate": 0.02,
                                  "lookback": {"click": "30d"}}]}],
    )
    return list(TrafficGenerator(scenario, SEED).journeys())


def share(items: list[Any], predicate: Any) -> float:
    return sum(1 for item in items if predicate(item)) / len(items)


def test_run_is_large_enough(journeys: list[Journey]) -> None:
    assert len(journeys) > 14_000


def test_ctit_follows_the_75_94_rule(journeys: list[Journey]) -> None:
    ctits = [j.install.ctit for j in journeys if j.install.ctit is not None]
    assert share(ctits, lambda c: c <= 3600) == pytest.approx(0.75, abs=0.03)
    assert share(ctits, lambda c: c <= 86400) == pytest.approx(0.94, abs=0.02)
    assert share(ctits, lambda c: c < 10) == 0.0


@pytest.mark.parametrize(("day", "expected", "tolerance"),
                         [(1, 0.26, 0.02), (7, 0.26 * 7 ** -0.442, 0.015),
                          (30, 0.26 * 30 ** -0.442, 0.01)])
def test_retention_curve(journeys: list[Journey], day: int, expected: float,
                         tolerance: float) -> None:
    assert share(journeys, lambda j: day in j.active_days) == pytest.approx(expected,
                                                                             abs=tolerance)


def test_idfa_zeroed_unless_att_authorized(journeys: list[Journey]) -> None:
    ios = [j.install.device for j in journeys if j.install.device.platform == "ios"]
    assert share(ios, lambda d: d.idfa == ZERO_UUID) == pytest.approx(0.70, abs=0.03)
    assert all((d.idfa == ZERO_UUID) == (d.att_status != 3) for d in ios)


def test_gaid_zeroed_share(journeys: list[Journey]) -> None:
    android = [j.install.device for j in journeys if j.install.device.platform == "android"]
    assert share(android, lambda d: d.gaid == ZERO_UUID) == pytest.approx(0.06, abs=0.015)


def test_platform_split(journeys: list[Journey]) -> None:
    assert share(journeys, lambda j: j.install.device.platform == "ios") == pytest.approx(
        0.4, abs=0.02)


def test_payer_share(journeys: list[Journey]) -> None:
    assert share(journeys, lambda j: any(e.revenue for e in j.events)) == pytest.approx(
        0.02, abs=0.006)


def test_revenue_sits_on_price_points_with_usd_conversion(journeys: list[Journey]) -> None:
    purchases = [(j, e) for j in journeys for e in j.events if e.revenue is not None]
    assert len(purchases) > 200
    currencies = set()
    for journey, event in purchases:
        currency = COUNTRIES[journey.install.device.country].currency
        assert event.currency == currency
        assert event.revenue in money.LOCAL_TIERS[currency]
        assert event.revenue_usd == money.to_usd(event.revenue, currency)
        currencies.add(currency)
    assert {"USD", "EUR", "JPY", "BRL", "INR"} <= currencies
    usd = [e.revenue for j, e in purchases if e.currency == "USD"]
    assert sorted(usd)[len(usd) // 2] == 4.99  # median tier


def test_organic_share(journeys: list[Journey]) -> None:
    assert share(journeys, lambda j: j.install.organic) == pytest.approx(0.1, abs=0.01)
