"""Scenario files: bundled ones load and render; mistakes come with file, line and field."""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.errors import ScenarioError
from sandbox.resources import scenarios_dir
from sandbox.scenarios.load import (
    load_scenario,
    resolve_scenario,
    scenario_from_data,
    scenario_schema,
)
from sandbox.scenarios.model import Scenario
from sandbox.scenarios.render import render_run
from tests.scenario_helpers import MINIMAL, scenario_data

BUNDLED = ["quickstart", "skan", "appsflyer-style", "adjust-style", "branch-style",
           "singular-style", "kochava-style", "affiliate", "fraud", "flaky-endpoint"]


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_scenario_loads_and_renders(name: str) -> None:
    scenario = load_scenario(resolve_scenario(name))
    assert scenario.name == name
    postbacks = list(render_run(scenario))
    assert postbacks
    assert {p.network for p in postbacks} <= {n.name for n in scenario.networks}


def test_every_bundled_file_is_listed() -> None:
    assert sorted(p.stem for p in scenarios_dir().glob("*.yaml")) == sorted(BUNDLED)


def test_quickstart_is_small_and_targets_the_local_receiver() -> None:
    scenario = load_scenario(resolve_scenario("quickstart"))
    postbacks = list(render_run(scenario))
    installs = [p for p in postbacks if p.kind == "install"]
    assert 12 <= len(installs) <= 80
    assert all(p.url.startswith("http://127.0.0.1:8377/pb/quickstart/") for p in postbacks)


def test_fraud_scenario_has_click_injection_and_spam() -> None:
    from sandbox.scenarios.generate import TrafficGenerator

    scenario = load_scenario(resolve_scenario("fraud"))
    by_campaign: dict[str, list[float]] = {}
    for journey in TrafficGenerator(scenario).journeys():
        touch = journey.install.touch
        if touch is not None and journey.install.ctit is not None:
            name = scenario.networks[0].campaigns[touch.campaign].name
            by_campaign.setdefault(name, []).append(journey.install.ctit)
    injected = by_campaign["injector"]  # a few are won by competing, ordinary clicks
    assert sum(1 for c in injected if c < 10) / len(injected) > 0.85
    spam = by_campaign["spammer"]
    assert sum(1 for c in spam if c > 86400) / len(spam) > 0.5  # flat over days
    assert scenario.chaos.duplicate > 0 and scenario.chaos.wrong_token > 0


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path


BASE = """\
name: t
app:
  name: A
  ios: {app_id: 1}
networks:
  - name: fakenet
    postbacks:
      install: "https://x.test/i?c={click_id}"
    campaigns:
      - name: c
"""


def problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return caught.value.problems


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("i?c={click_id}", "i?c={clik_id}",
         ":8: networks[0].postbacks.install: unknown macro {clik_id} (did you mean {click_id}?)"),
        ("      - name: c\n", "      - name: c\n        install_rate: 2\n",
         ":11: networks[0].campaigns[0].install_rate: expected a share from 0 to 1; got 2"),
        ("  - name: fakenet\n", "  - name: fakenet\n    send_events: [af_purchse]\n",
         ":7: networks[0].send_events[0]: unknown event 'af_purchse' (did you mean "
         "'af_purchase'?)"),
        ("  ios: {app_id: 1}\n", "  ios: {app_id: 1}\nusers: {countries: {XX: 1}}\n",
         ":5: users.countries.XX: unknown country"),
        ("  - name: fakenet\n", "  - name: fakenet\n    preset: appsflyer\n",
         ":7: networks[0].preset: a preset needs an 'endpoint' URL"),
        ("  - name: fakenet\n", "  - name: fakenet\n    presett: appsflyer\n",
         ":7: networks[0].presett: unknown field (did you mean 'preset'?)"),
        ("      - name: c\n", "      - name: c\n        lookback: {click: 7 days}\n",
         ":11: networks[0].campaigns[0].lookback.click: expected a duration such as 30s"),
        ("  ios: {app_id: 1}\n", "  ios: {app_id: 1}\nusers: {platforms: {android: 1}}\n",
         ":5: users.platforms.android: the app has no android section"),
    ],
)
def test_mistakes_name_file_line_field_and_expectation(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in BASE
    path = write(tmp_path, BASE.replace(old, new))
    found = problems(path)
    assert any(p.startswith(f"{path}{expected}") for p in found), found


def test_json_body_macro_error_points_into_the_body(tmp_path: Path) -> None:
    text = BASE.replace('      install: "https://x.test/i?c={click_id}"\n',
                        "      install:\n        url: https://x.test/i\n        body:\n"
                        "          device: {idfa: \"{idfaa}\"}\n")
    found = problems(write(tmp_path, text))
    assert found == [f"{tmp_path / 's.yaml'}:11: networks[0].postbacks.install.body.device.idfa: "
                     "unknown macro {idfaa} (did you mean {idfa}?)"]


def test_minimal_scenario_gets_documented_defaults() -> None:
    scenario = scenario_from_data(MINIMAL)
    schema = scenario_schema()["$defs"]
    campaign = scenario.networks[0].campaigns[0]
    assert campaign.click_lookback == 7 * 86400
    assert schema["campaign"]["properties"]["lookback"]["properties"]["click"]["default"] == "7d"
    assert scenario.users.retention.d1 == schema["retention"]["properties"]["d1"]["default"]
    assert scenario.users.gaid_zeroed == schema["users"]["properties"]["gaid_zeroed"]["default"]
    assert schema["delivery"]["properties"]["retry"] == {"$ref": "#/$defs/retry"}
    assert scenario.delivery.retry.attempts == schema["retry"]["properties"]["attempts"]["default"]
    assert scenario.delivery.retry.statuses is schema["retry"]["properties"]["statuses"]["default"]


def test_scenario_section_shapes_for_delivery() -> None:
    scenario = scenario_from_data(scenario_data(
        delivery={"concurrency": 4, "timeout": "2s",
                  "retry": {"attempts": 5, "base": "200ms", "jitter": 0.2}},
        chaos={"duplicate": 0.1, "late_by": "1m"},
        expect=[{"where": {"path": "/pb/x"}, "count": 3}],
    ))
    assert scenario.delivery.timeout == 2.0 and scenario.delivery.retry.base == 0.2
    assert scenario.chaos.duplicate == 0.1 and scenario.chaos.late_by == 60.0
    assert scenario.expect == ({"where": {"path": "/pb/x"}, "count": 3},)


def test_schema_ships_inside_the_package() -> None:
    from importlib import resources

    text = resources.files("sandbox.scenarios").joinpath("scenario.schema.json").read_text("utf-8")
    assert json.loads(text)["title"] == "postback-sandbox scenario"


def test_unknown_scenario_name_is_a_clean_error() -> None:
    with pytest.raises(ScenarioError, match="did you mean 'quickstart'"):
        resolve_scenario("quickstrat")


# --- property: the loader returns a Scenario or raises ScenarioError, nothing else ----------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(-1, 2, allow_nan=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=3),
    max_leaves=8,
)
paths = st.sampled_from([
    ("seed",), ("days",), ("organic_share",), ("users",), ("users", "countries"),
    ("users", "funnel"), ("users", "purchases"), ("users", "retention"), ("app", "ios"),
    ("networks", 0, "postbacks"), ("networks", 0, "postbacks", "install"),
    ("networks", 0, "send_events"), ("networks", 0, "campaigns", 0),
    ("networks", 0, "campaigns", 0, "lookback"), ("networks", 0, "preset"), ("delivery",),
    ("chaos",), ("start",), ("networks", 0, "event_names"), ("attribution",),
    ("expect",), ("skan",), ("app",), ("networks",), ("name",), ("users", "funnel", 0),
])


def mutate(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    target: Any = data
    for key in path[:-1]:
        target = target.setdefault(key, {}) if isinstance(key, str) else target[key]
    target[path[-1]] = value
    return data


@settings(max_examples=150, deadline=None)
@given(paths, json_values)
def test_loader_returns_a_scenario_or_raises_scenario_error(
    path: tuple[Any, ...], value: Any
) -> None:
    data = mutate(scenario_data(), path, value)
    try:
        result = scenario_from_data(data)
    except ScenarioError as exc:
        assert exc.problems
    else:
        assert isinstance(result, Scenario)


assertion_keys = st.sampled_from(["on", "channel", "where", "count", "unique", "within",
                                  "since_id", "name", "whre"])
assertion_values = json_values | st.sampled_from(
    ["qeury.click_id", "path", "deliveries", {"gte": 20, "lte": 10}, {"pth": "/x"},
     {"path": {"gtee": 1}}, {"gtee": 1}])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.dictionaries(assertion_keys, assertion_values, max_size=4), max_size=3))
def test_any_expect_list_gives_a_scenario_or_lines(expect: list[dict[str, Any]]) -> None:
    data = scenario_data()
    data["expect"] = expect
    try:
        scenario_from_data(data)
    except ScenarioError as exc:
        assert exc.problems and all(p.startswith("<scenario>:") for p in exc.problems)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300))
def test_loader_survives_any_file_text(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.yaml"
        path.write_text(text, encoding="utf-8")
        with contextlib.suppress(ScenarioError):
            load_scenario(path)


# --- docs/scenarios.md cannot drift from the schema ---------------------------------------


def test_field_reference_is_up_to_date() -> None:
    from sandbox.scenarios import docs as scenario_docs

    text = scenario_docs.DOC.read_text(encoding="utf-8")
    assert scenario_docs.render_document(text) == text, (
        "docs/scenarios.md is stale: run python -m sandbox.scenarios.docs --write")


def test_every_schema_field_is_documented() -> None:
    from sandbox.scenarios import docs as scenario_docs

    text = scenario_docs.DOC.read_text(encoding="utf-8")
    paths = [path for path, _ in scenario_docs.fields(scenario_schema())]
    assert len(paths) > 100
    assert "networks[].campaigns[].lookback.click" in paths
    missing = [path for path in paths if f"| `{path}` |" not in text]
    assert missing == []


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_expectations_are_valid_assertions(name: str) -> None:
    from sandbox.query.document import parse_assertion

    for item in load_scenario(resolve_scenario(name)).expect:
        parse_assertion(item)
