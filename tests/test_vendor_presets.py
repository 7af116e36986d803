"""The Branch, Singular and Kochava presets against the shapes the vendors document (Branch
"Postback Macros & Functions", Singular "Postback Macros and Passthrough Parameters for Ad
Networks", Kochava's postback macro list and SDK event types; identifier formats as the
platforms define them): parameter names, id and time formats, event names. The expected
shapes are written here from those documents, not taken from the sandbox's own output."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest

from sandbox.scenarios.load import load_scenario, resolve_scenario
from sandbox.scenarios.model import Scenario
from sandbox.scenarios.postback_template import PostbackTemplate
from sandbox.scenarios.render import RenderedPostback, render_run

UPPER_UUID = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")
LOWER_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ANDROID_ID = re.compile(r"^[0-9a-f]{16}$")
UNIX_S = re.compile(r"^1[0-9]{9}$")
UNIX_MS = re.compile(r"^1[0-9]{12}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")

# Branch's standard event names (install for installs).
BRANCH_EVENTS = {
    "install", "reinstall", "open", "purchase", "add_to_cart", "add_to_wishlist", "view_cart",
    "initiate_purchase", "add_payment_info", "spend_credits", "complete_registration",
    "complete_tutorial", "achieve_level", "unlock_achievement", "invite", "login", "subscribe",
    "start_trial", "click_ad", "view_ad", "search", "view_item", "share", "rate"}
# Kochava's SDK standard event types, and _install for installs.
KOCHAVA_EVENTS = {
    "_install", "Achievement", "Add to Cart", "Add to Wish List", "Checkout Start",
    "Level Complete", "Purchase", "Rating", "Registration Complete", "Search",
    "Tutorial Complete", "View", "Ad View", "Ad Click", "Push Received", "Push Opened",
    "Start Trial", "Subscribe"}


def as_the_vendor_sends(scenario: Scenario) -> Scenario:
    """The bundled scenario with values a device has not sent empty, as the vendors do (the
    files drop them so their captures lint clean)."""
    def keep(template: PostbackTemplate | None) -> PostbackTemplate | None:
        return None if template is None else replace(template, drop_empty=False)
    return replace(scenario, networks=tuple(
        replace(n, install=keep(n.install), event=keep(n.event)) for n in scenario.networks))


def postbacks(scenario: str, network: str) -> list[RenderedPostback]:
    loaded = as_the_vendor_sends(load_scenario(resolve_scenario(scenario)))
    rendered = [p for p in render_run(loaded) if p.network == network]
    assert {p.kind for p in rendered} == {"install", "event"}
    return rendered


def params(postback: RenderedPostback) -> dict[str, str]:
    query = parse_qs(urlsplit(postback.url).query, keep_blank_values=True)
    assert all(len(values) == 1 for values in query.values()), postback.url
    return {name: values[0] for name, values in query.items()}


def optional(pattern: re.Pattern[str], value: str) -> bool:
    """A device id a platform or a consent choice leaves out is sent empty (Branch's ``!``)."""
    return value == "" or bool(pattern.match(value))


def each(scenario: str, network: str) -> Iterator[tuple[RenderedPostback, dict[str, str]]]:
    for postback in postbacks(scenario, network):
        yield postback, params(postback)


def test_branch_postbacks_have_branchs_names_and_formats():
    for postback, p in each("branch-style", "shopads"):
        assert {"name", "id", "event_timestamp", "attributed", "last_attributed_touch_type",
                "last_attributed_touch_timestamp", "external_touch", "idfa", "idfv", "aaid",
                "android_id", "ip", "user_agent", "geo_country_code", "os",
                "limit_ad_tracking"} <= set(p)
        assert p["name"] in BRANCH_EVENTS
        assert (p["name"] == "install") == (postback.kind == "install")
        assert re.fullmatch(r"[0-9]{1,19}", p["id"])  # a 64-bit decimal id
        assert UNIX_MS.match(p["event_timestamp"])  # Branch: unix milliseconds
        assert UNIX_MS.match(p["last_attributed_touch_timestamp"])
        assert int(p["last_attributed_touch_timestamp"]) <= int(p["event_timestamp"])
        assert p["attributed"] == "1" and p["limit_ad_tracking"] in {"0", "1"}
        assert p["last_attributed_touch_type"] in {"click", "impression"}
        assert 0 <= int(p["hours_from_last_attributed_touch_to_event"]) < 24
        assert 0 <= int(p["minutes_from_last_attributed_touch_to_event"]) < 60
        assert 0 <= int(p["seconds_from_last_attributed_touch_to_event"]) < 60
        assert optional(UPPER_UUID, p["idfa"]) and optional(UPPER_UUID, p["idfv"])
        assert optional(LOWER_UUID, p["aaid"]) and optional(ANDROID_ID, p["android_id"])
        assert p["os"] in {"IOS", "ANDROID"} and IPV4.match(p["ip"])
        assert re.fullmatch(r"[A-Z]{2}", p["geo_country_code"])
        if p["name"] == "purchase":
            assert float(p["revenue"]) > 0 and CURRENCY.match(p["currency"])
            assert float(p["revenue_in_usd"]) > 0


def test_branch_lat_flag_follows_the_advertising_id():
    """<#if user_data.limit_ad_tracking>1<#else>0</#if>: LAT means the IDFA of zeros on iOS."""
    for _, p in each("branch-style", "shopads"):
        if p["os"] == "IOS":
            zeroed = p["idfa"] == "00000000-0000-0000-0000-000000000000"
            assert (p["limit_ad_tracking"] == "1") == zeroed


def test_singular_postbacks_have_singulars_names_and_formats():
    for postback, p in each("singular-style", "mindads"):
        assert {"cl_id", "idfa", "aifa", "platform", "timestamp", "install_time"} <= set(p)
        assert p["cl_id"] == postback.click_id  # {cl?Network}: the network's own click id
        assert optional(UPPER_UUID, p["idfa"]) and optional(LOWER_UUID, p["aifa"])
        assert p["platform"] in {"ios", "android"}
        assert UNIX_S.match(p["install_time"])  # {INSTALL_TIME}: unix seconds
        if postback.kind == "install":
            assert p["is_viewthrough"] in {"0", "1"} and p["is_re_eng"] == "0"
            assert optional(ANDROID_ID, p["andi"]) and UNIX_S.match(p["click_time"])
            assert p["app"] == "com.example.calmnotes"
        else:
            assert p["event"] in {"af_purchase", "af_start_trial"}  # as the app sent them
            if p["event"] == "af_purchase":
                assert float(p["amount"]) > 0 and CURRENCY.match(p["currency"])


def test_kochava_postbacks_have_kochavas_names_and_formats():
    for postback, p in each("kochava-style", "towerads"):
        assert {"network_name", "event_name", "idfa", "adid", "site_id", "country",
                "click_id", "event_time"} <= set(p)
        assert p["network_name"] == "towerads" and p["event_name"] in KOCHAVA_EVENTS
        assert (p["event_name"] == "_install") == (postback.kind == "install")
        assert optional(LOWER_UUID, p["adid"])  # adid is the GAID here, not Adjust's id
        assert optional(UPPER_UUID, p["idfa"]) and UNIX_S.match(p["event_time"])
        if p["event_name"] == "Purchase":
            assert float(p["event_value"]) > 0 and CURRENCY.match(p["currency"])


@pytest.mark.parametrize("scenario", ["branch-style", "singular-style", "kochava-style"])
def test_each_preset_renders_no_macro_text(scenario: str):
    """No vendor macro is left unread on the wire."""
    for postback in render_run(load_scenario(resolve_scenario(scenario))):
        assert not re.search(r"\$\{|<#|\{[A-Za-z]", postback.url), postback.url


def test_each_preset_delivers_with_its_vendors_habits(tmp_path):
    """Branch waits 2 s and retries timeouts only; Singular retries 5xx after 1, 5, 15, 30 and
    60 minutes; a network's own delivery: wins over its preset's."""
    branch = load_scenario(resolve_scenario("branch-style")).networks[0]
    assert branch.timeout == 2.0 and branch.retry is not None
    assert branch.retry.statuses is False and branch.retry.attempts == 3
    singular = load_scenario(resolve_scenario("singular-style")).networks[0]
    assert singular.retry is not None and singular.retry.schedule == (
        60.0, 300.0, 900.0, 1800.0, 3600.0) and singular.retry.attempts == 6
    assert 500 in singular.retry.on_status and 429 not in singular.retry.on_status
    text = resolve_scenario("branch-style").read_text(encoding="utf-8").replace(
        "    preset: branch\n", "    preset: branch\n    delivery: {timeout: 9s}\n", 1)
    (tmp_path / "b.yaml").write_text(text, encoding="utf-8")
    own = load_scenario(tmp_path / "b.yaml").networks[0]
    assert own.timeout == 9.0 and own.retry is None  # the run's retry policy applies
