"""Vendor presets, pinned by golden files and checked against the vendors' parameter names.

Regenerate the golden files after an intended change with
``UPDATE_GOLDEN=1 pytest tests/test_presets.py`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from sandbox.capture.keys import extract_keys
from sandbox.capture.record import parse_query
from sandbox.scenarios.presets import PRESETS
from tests.scenario_helpers import build, sample_context

GOLDEN = Path(__file__).parent / "golden"
ENDPOINT = "https://postback.fakenet.test/pb"


def preset_scenario(preset: str):  # type: ignore[no-untyped-def]
    return build(networks=[{
        "name": "fakenet", "id": 12, "preset": preset, "endpoint": ENDPOINT,
        "event_names": {"af_purchase": "purchase"} if preset == "adjust" else {},
        "campaigns": [{"name": "summer_sale_us", "id": 3001, "tracker": "abc123"}],
    }], app={"name": "Puzzle Quest", "version": "3.2.1", "ios": {"app_id": 525463029},
             "android": {"package": "com.example.game"},
             "event_tokens": {"af_purchase": "bkrfgq"}})


def rendered(preset: str, kind: str, platform: str) -> str:
    scenario = preset_scenario(preset)
    ctx = sample_context(scenario, platform=platform, with_event=kind == "event",
                         currency="USD" if preset == "adjust" else "EUR",
                         revenue=4.99 if preset == "adjust" else 4.59)
    network = scenario.networks[0]
    template = network.install if kind == "install" else network.template_for("af_purchase")
    assert template is not None
    return template.url.render(ctx, drop_empty=template.drop_empty)


CASES = [(p, k, plat) for p in ("appsflyer", "adjust", "tune", "everflow")
         for k in ("install", "event") for plat in ("ios", "android")]


@pytest.mark.parametrize("preset", ["appsflyer", "adjust", "tune", "everflow"])
def test_preset_matches_golden_file(preset: str) -> None:
    text = "".join(f"{kind} {platform}: {rendered(preset, kind, platform)}\n"
                   for p, kind, platform in CASES if p == preset)
    golden = GOLDEN / f"preset-{preset}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def params(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def in_order(names: list[str], wanted: list[str]) -> bool:
    positions = [names.index(name) for name in wanted if name in names]
    return len(positions) == len(wanted) and positions == sorted(positions)


def test_appsflyer_install_has_domain_2_7_shape() -> None:
    url = rendered("appsflyer", "install", "ios")
    assert url.startswith(f"{ENDPOINT}/install?")
    got = dict(params(url))
    assert in_order([n for n, _ in params(url)], [
        "clickid", "pid", "idfa", "app_id", "install_unix_ts", "click_ts", "country_code", "ip",
        "os_version", "match_type"])
    assert got["clickid"] == "c8f1e2" and got["pid"] == "fakenet_int"
    assert got["idfa"] == "8C6CBC0D-5F43-4765-A6E6-84DFF3D24707"
    assert got["app_id"] == "id525463029" and got["install_unix_ts"] == "1716208334"
    assert got["click_ts"] == "1716208012" and got["match_type"] == "id_matching"


def test_appsflyer_in_app_has_domain_2_7_shape() -> None:
    url = rendered("appsflyer", "event", "ios")
    got = dict(params(url))
    assert in_order([n for n, _ in params(url)],
                    ["event_name", "revenue_usd", "orig_revenue", "currency", "event_value"])
    assert (got["event_name"], got["revenue_usd"], got["orig_revenue"], got["currency"]) == (
        "af_purchase", "4.99", "4.59", "EUR")
    assert "event_value=%7B%22af_revenue%22%3A%224.59%22" in url


def test_adjust_event_has_domain_2_7_shape() -> None:
    url = rendered("adjust", "event", "android")
    names = [n for n, _ in params(url)]
    assert names[:11] == ["gps_adid", "adid", "tracker", "activity_kind", "event_token",
                          "event_name", "revenue", "currency", "created_at", "country",
                          "os_name"]
    got = dict(params(url))
    assert got["gps_adid"] == "38400000-8cf0-11bd-b23e-10b96e40000d"
    assert (got["activity_kind"], got["event_token"], got["event_name"]) == (
        "event", "bkrfgq", "purchase")
    assert (got["revenue"], got["currency"], got["country"], got["os_name"]) == (
        "4.99", "USD", "us", "android")
    assert "idfa" not in got  # Adjust drops placeholders without a value


def test_tune_postbacks_use_transaction_id() -> None:
    url = rendered("tune", "install", "android")
    assert url.startswith(f"{ENDPOINT}/aff_lsr?offer_id=3001&transaction_id=c8f1e2&adv_sub=")
    assert dict(params(url))["amount"] == "2.35"


def test_everflow_postbacks_use_nid_and_transaction_id() -> None:
    url = rendered("everflow", "event", "ios")
    got = dict(params(url))
    assert (got["nid"], got["transaction_id"], got["amount"]) == ("12", "c8f1e2", "4.99")


def test_presets_send_purchases_by_default() -> None:
    network = preset_scenario("appsflyer").networks[0]
    assert network.template_for("af_purchase") is not None
    assert network.template_for("af_app_opened") is None


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_templates_compile(name: str) -> None:
    if name != "none":
        network = preset_scenario(name).networks[0]
        assert network.install is not None and network.event is not None


@pytest.mark.parametrize(("preset", "kind", "platform"), [
    (p, k, plat) for p in sorted(PRESETS) if p != "none"
    for k in ("install", "event") for plat in ("ios", "android")])
def test_capture_keys_find_every_preset_parameter(preset: str, kind: str, platform: str) -> None:
    """What the receiver extracts from each preset's postback: the click id always, and for
    events the event (by name, or by the vendor's event id) and the revenue."""
    keys = extract_keys(parse_query(urlsplit(rendered(preset, kind, platform)).query), None, None)
    assert keys["click_id"] == "c8f1e2"
    if kind == "event":
        assert keys["event_name"].lower() in ("af_purchase", "purchase", "bkrfgq")
        # the USD figure, or the original amount beside its own currency (Singular, Kochava,
        # Branch send the amount as the app reported it)
        assert keys["revenue"] == "4.99" or (keys["revenue"], keys["currency"]) == ("4.59", "EUR")
