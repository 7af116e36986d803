"""Last-click attribution, lookback edges, view-through and organic installs."""

from __future__ import annotations

import pytest

from sandbox.scenarios.attribution import attribute
from sandbox.scenarios.generate import TrafficGenerator
from sandbox.scenarios.journey import Touch
from sandbox.scenarios.render import render_run
from tests.scenario_helpers import build

DAY = 86400.0
INSTALL = 1_000_000.0


def click(age: float, lookback: float = 7 * DAY, name: str = "c") -> Touch:
    return Touch("click", name, 0, 0, INSTALL - age, lookback)


def view(age: float, lookback: float = DAY, name: str = "v") -> Touch:
    return Touch("impression", name, 0, 0, INSTALL - age, lookback)


@pytest.mark.parametrize(
    ("age", "winner"),
    [(0.0, "c"), (7 * DAY, "c"), (7 * DAY + 0.001, None), (-1.0, None), (3600.0, "c")],
)
def test_click_lookback_edges(age: float, winner: str | None) -> None:
    result = attribute(INSTALL, [click(age)])
    assert (result.touch.touch_id if result.touch else None) == winner
    assert result.reason == ("click" if winner else "organic")


def test_last_eligible_click_wins() -> None:
    touches = [click(3 * DAY, name="old"), click(600, name="new"), click(9 * DAY, name="stale")]
    assert attribute(INSTALL, touches).touch.touch_id == "new"  # type: ignore[union-attr]


def test_a_click_after_the_install_does_not_count() -> None:
    touches = [click(2 * DAY, name="before"), click(-60, name="after")]
    assert attribute(INSTALL, touches).touch.touch_id == "before"  # type: ignore[union-attr]


def test_each_touch_uses_its_own_lookback() -> None:
    touches = [click(2 * DAY, lookback=DAY, name="short"), click(3 * DAY, name="long")]
    assert attribute(INSTALL, touches).touch.touch_id == "long"  # type: ignore[union-attr]


def test_a_click_beats_a_newer_impression() -> None:
    touches = [click(5 * DAY, name="click"), view(60, name="view")]
    result = attribute(INSTALL, touches, view_through=True)
    assert result.touch.touch_id == "click" and result.reason == "click"  # type: ignore[union-attr]


@pytest.mark.parametrize(("view_through", "reason"), [(True, "view_through"), (False, "organic")])
def test_impressions_count_only_with_view_through(view_through: bool, reason: str) -> None:
    result = attribute(INSTALL, [view(3600)], view_through=view_through)
    assert result.reason == reason


def test_impression_window_edge() -> None:
    assert attribute(INSTALL, [view(DAY)], view_through=True).reason == "view_through"
    assert attribute(INSTALL, [view(DAY + 1)], view_through=True).reason == "organic"


def test_no_touch_is_organic() -> None:
    result = attribute(INSTALL, [])
    assert result.organic and result.touch is None


def test_short_lookback_turns_slow_installs_organic() -> None:
    scenario = build(networks=[{
        "name": "n", "postbacks": {"install": "https://x.test/{click_id}"},
        "campaigns": [{"name": "c", "clicks": 40000, "install_rate": 0.05,
                       "lookback": {"click": "1h"}}],
    }], attribution={"competing_touch_share": 0})
    journeys = list(TrafficGenerator(scenario).journeys())
    organic = [j for j in journeys if j.install.organic]
    attributed = [j for j in journeys if not j.install.organic]
    # about 25 % of CTITs exceed one hour (docs/scenarios.md)
    assert 0.18 < len(organic) / len(journeys) < 0.32
    assert all(j.install.ctit is not None and j.install.ctit <= 3600 for j in attributed)


def test_organic_installs_are_not_postbacked() -> None:
    scenario = build(organic_share=0.5)
    journeys = list(TrafficGenerator(scenario).journeys())
    organic_ids = {j.install.install_id for j in journeys if j.install.organic}
    assert organic_ids
    postbacks = list(render_run(scenario))
    assert postbacks and not organic_ids & {p.install_id for p in postbacks}
    attributed = {j.install.install_id for j in journeys if not j.install.organic}
    assert {p.install_id for p in postbacks if p.kind == "install"} == attributed


def test_competing_touches_can_steal_attribution() -> None:
    scenario = build(networks=[
        {"name": "a", "postbacks": {"install": "https://a.test/{click_id}"},
         "campaigns": [{"name": "ca", "clicks": 20000, "install_rate": 0.05}]},
        {"name": "b", "postbacks": {"install": "https://b.test/{click_id}"},
         "campaigns": [{"name": "cb", "clicks": 20000, "install_rate": 0.05}]},
    ], attribution={"competing_touch_share": 1.0})
    journeys = list(TrafficGenerator(scenario).journeys())
    assert all(j.install.touches == 2 for j in journeys)
    networks = {j.install.touch.network for j in journeys if j.install.touch}
    assert networks == {0, 1}
