"""The one canonical catalogue of postback macros: name, meaning, example, how to get a value.

A macro's getter takes a ``MacroContext`` and returns a typed value (str, int, float, bool,
dict) or None when there is no value (an event macro on an install postback, the IDFA of an
Android device). ``macros.py`` turns values into text or keeps their JSON type.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from sandbox.compact_json import compact_json
from sandbox.scenarios.journey import ATT_NAMES, AppEvent, Install
from sandbox.scenarios.time_text import iso, mmp_datetime, unix_ms


# What macros read of the scenario's app, network and campaign (``sandbox/scenarios/model.py``
# has the whole types; naming only these keeps the catalogue below the model it describes).
class AppFacts(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def sdk_version(self) -> str: ...
    @property
    def ios_app_id(self) -> int | None: ...
    @property
    def ios_bundle_id(self) -> str | None: ...
    @property
    def android_package(self) -> str | None: ...
    @property
    def event_tokens(self) -> Mapping[str, str]: ...


class NetworkFacts(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def media_source(self) -> str: ...
    @property
    def event_names(self) -> Mapping[str, str]: ...


class CampaignFacts(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def click_lookback(self) -> float: ...
    @property
    def view_lookback(self) -> float: ...


@dataclass(slots=True)
class MacroContext:
    """Everything a postback can mention: one install, maybe one event, and who gets it."""

    kind: str  # "install" | "event"
    install: Install
    event: AppEvent | None
    app: AppFacts
    network: NetworkFacts
    campaign: CampaignFacts | None
    postback_id: str


Getter = Callable[[MacroContext], Any]


@dataclass(frozen=True)
class Macro:
    name: str
    description: str
    example: str
    get: Getter


@lru_cache(maxsize=4096)
def stable_token(text: str, length: int = 6) -> str:
    """A short lower-case alphanumeric token derived from ``text`` (Adjust-style tokens)."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    number = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
    chars = []
    for _ in range(length):
        number, digit = divmod(number, len(alphabet))
        chars.append(alphabet[digit])
    return "".join(chars)


def _sha1(value: str | None) -> str | None:
    return hashlib.sha1(value.encode()).hexdigest() if value else None


def _app_id(ctx: MacroContext) -> str | None:
    if ctx.install.device.platform == "ios":
        return f"id{ctx.app.ios_app_id}" if ctx.app.ios_app_id else None
    return ctx.app.android_package


def _store_id(ctx: MacroContext) -> str | int | None:
    if ctx.install.device.platform == "ios":
        return ctx.app.ios_app_id
    return ctx.app.android_package


def _bundle_id(ctx: MacroContext) -> str | None:
    if ctx.install.device.platform == "ios":
        return ctx.app.ios_bundle_id
    return ctx.app.android_package


def _event_token(ctx: MacroContext) -> str | None:
    if ctx.event is None:
        return None
    return ctx.app.event_tokens.get(ctx.event.name) or stable_token(ctx.event.name)


def _event_params(ctx: MacroContext) -> dict[str, Any] | None:
    return None if ctx.event is None else ctx.event.params




def _event_value(ctx: MacroContext) -> str | None:
    if ctx.event is None:
        return None
    return compact_json(ctx.event.params) if ctx.event.params else "{}"


def _cents(amount: float | None) -> int | None:
    return None if amount is None else int(round(amount * 100))


def _tracking_limited(ctx: MacroContext) -> int:
    device = ctx.install.device
    if device.platform == "ios":
        return 0 if device.att_status == 3 else 1
    return 1 if device.gaid == "00000000-0000-0000-0000-000000000000" else 0


def _tracker_name(ctx: MacroContext) -> str | None:
    if ctx.campaign is None or ctx.install.touch is None:
        return None
    return f"{ctx.network.name}::{ctx.campaign.name}::{ctx.install.touch.site_id}::"


# Getters run for every value of every postback. The plain ones are written once, as a
# Python expression of ``ctx`` (module constants below, never user text): ``_inline`` makes
# the getter from it, and ``INLINE`` hands it to the template compiler (url_template.py),
# whose generated code reads the value without a call.
_INLINED: dict[Getter, str] = {}


def _inline(expression: str) -> Getter:
    # the compiler puts ``expression`` inside f"..." slots: no double quotes in it
    getter: Getter = eval(f"lambda ctx: {expression}", {"__builtins__": {"int": int}})  # noqa: S307
    _INLINED[getter] = expression
    return getter


def _guarded(root: str, name: str) -> Getter:
    return _inline(f"(None if {root} is None else {root}.{name})")


def _campaign_attr(name: str) -> Getter:
    return _guarded("ctx.campaign", name)


def _touch_attr(name: str) -> Getter:
    return _guarded("ctx.install.touch", name)


def _device_attr(name: str) -> Getter:
    return _inline(f"ctx.install.device.{name}")


def _event_attr(name: str) -> Getter:
    return _guarded("ctx.event", name)


def _attr(path: str) -> Getter:
    return _inline(f"ctx.{path}")


def _touch_time(fn: Callable[[float], Any]) -> Getter:
    return lambda c: fn(c.install.touch.time) if c.install.touch is not None else None


def _event_time(fn: Callable[[float], Any]) -> Getter:
    return lambda c: fn(c.event.time) if c.event is not None else None


def _hours(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds // 3600)


def _md5(value: str | None) -> str | None:
    return hashlib.md5(value.encode()).hexdigest() if value else None  # noqa: S324 - an id, not a secret


def _moment(ctx: MacroContext) -> float:
    """When this install or event happened."""
    return ctx.install.time if ctx.event is None else ctx.event.time


def _touch_lag(unit: int, cap: int | None) -> Getter:
    """One part of the time from the winning touch to this install or event (Branch's
    days/hours/minutes/seconds: ``cap`` keeps hours under 24, minutes and seconds under 60)."""
    def lag(ctx: MacroContext) -> int | None:
        if ctx.install.touch is None:
            return None
        whole = max(0, int(_moment(ctx) - ctx.install.touch.time)) // unit
        return whole if cap is None else whole % cap
    return lag


def _number_id(ctx: MacroContext) -> int:
    """A 64-bit decimal id of this install or event, stable for it (Branch ids look so)."""
    key = ctx.install.install_id if ctx.event is None else ctx.event.event_id
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") >> 2


_ENTRIES: list[tuple[str, str, str, Getter]] = [
    # attribution and campaign
    ("click_id", "the network's click id from the attribution link", "c8f1e2a9",
     _touch_attr("touch_id")),
    ("transaction_id", "affiliate name for the click id", "c8f1e2a9", _touch_attr("touch_id")),
    ("touch_type", "click or impression", "click", _touch_attr("kind")),
    ("is_viewthrough", "true when an impression won", "false",
     lambda c: c.install.touch is not None and c.install.touch.kind == "impression"),
    ("viewthrough", "1 when an impression won, else 0 (Singular)", "0",
     lambda c: int(c.install.touch is not None and c.install.touch.kind == "impression")),
    ("attributed", "1 when a touch won the install, 0 for organic (Branch)", "1",
     lambda c: int(c.install.touch is not None)),
    ("reengagement", "1 for a re-engagement; the sandbox sends installs: 0 (Singular)", "0",
     lambda c: 0),
    ("match_type", "how the install was matched", "id_matching",
     _inline("(ctx.install.match_type or None)")),
    ("network_name", "network name", "fakenet", _attr("network.name")),
    ("network_id", "network id on the tracker (Everflow nid)", "12", _attr("network.id")),
    ("media_source", "AppsFlyer-style pid", "fakenet_int", _attr("network.media_source")),
    ("campaign", "campaign name", "summer_sale_us", _campaign_attr("name")),
    ("campaign_id", "campaign / offer id", "1001", _campaign_attr("id")),
    ("site_id", "publisher / site id", "pub_4711", _touch_attr("site_id")),
    ("tracker", "Adjust-style tracker token", "abc123", _campaign_attr("tracker")),
    ("tracker_name", "Network::Campaign::Site:: tracker name", "fakenet::summer::pub_4711::",
     _tracker_name),
    ("click_lookback_hours", "click attribution window in hours", "168",
     lambda c: _hours(c.campaign.click_lookback) if c.campaign else None),
    ("view_lookback_hours", "view-through window in hours", "24",
     lambda c: _hours(c.campaign.view_lookback) if c.campaign else None),
    ("touch_lag_days", "whole days from the winning touch to this install or event", "0",
     _touch_lag(86400, None)),
    ("touch_lag_hours", "hours part of that time, 0-23 (Branch)", "0", _touch_lag(3600, 24)),
    ("touch_lag_minutes", "minutes part of that time, 0-59 (Branch)", "5", _touch_lag(60, 60)),
    ("touch_lag_seconds", "seconds part of that time, 0-59 (Branch)", "22", _touch_lag(1, 60)),
    ("ctit", "seconds from click to install", "322",
     _inline("(None if ctx.install.touch is None"
             " else int(ctx.install.time - ctx.install.touch.time))")),
    ("cost", "cost per install", "2.35", _attr("install.cost")),
    ("cost_currency", "cost currency", "USD",
     _inline("(ctx.install.cost_currency if ctx.install.cost is not None else None)")),
    ("cost_model", "cost model", "CPI",
     _inline("('CPI' if ctx.install.cost is not None else None)")),
    ("payout", "affiliate payout (the CPI)", "2.35", _attr("install.cost")),
    # the device
    ("platform", "ios or android", "ios", _device_attr("platform")),
    ("platform_upper", "IOS or ANDROID (Branch's user_data.os)", "IOS",
     lambda c: c.install.device.platform.upper()),
    ("os_version", "OS version", "17.4", _device_attr("os_version")),
    ("device_model", "device model identifier", "iPhone15,2", _device_attr("model")),
    ("device_brand", "device brand", "apple", _device_attr("brand")),
    ("device_type", "phone", "phone", lambda c: "phone"),
    ("user_agent", "user agent at install", "Mozilla/5.0 (iPhone; ...)",
     _device_attr("user_agent")),
    ("ip", "device IP at install", "203.0.113.7", _device_attr("ip")),
    ("country", "ISO 3166 alpha-2 country, upper case", "US", _device_attr("country")),
    ("country_lower", "country, lower case (Adjust)", "us",
     _inline("ctx.install.device.country.lower()")),
    ("city", "city", "Austin", _device_attr("city")),
    ("language", "device language (BCP 47)", "en-US", _device_attr("language")),
    ("carrier", "mobile carrier", "AT&T", _device_attr("carrier")),
    ("wifi", "on Wi-Fi at install", "true", _device_attr("wifi")),
    ("idfa", "iOS IDFA, upper case; all zeros unless ATT authorized", "8C6CBC0D-...",
     _device_attr("idfa")),
    ("idfa_sha1", "SHA-1 of the IDFA", "3f1b...", lambda c: _sha1(c.install.device.idfa)),
    ("idfa_md5", "MD5 of the IDFA (Singular IFA5)", "5d41...",
     lambda c: _md5(c.install.device.idfa)),
    ("idfv", "iOS IDFV, upper case", "CCB300A0-...", _device_attr("idfv")),
    ("gaid", "Android advertising id, lower case; zeros when opted out", "38400000-...",
     _device_attr("gaid")),
    ("gaid_sha1", "SHA-1 of the GAID", "9a0e...", lambda c: _sha1(c.install.device.gaid)),
    ("android_id", "Android ID, 16 lower-case hex", "b9da30111528c740",
     _device_attr("android_id")),
    ("advertising_id", "IDFA on iOS, GAID on Android", "38400000-...",
     lambda c: c.install.device.idfa or c.install.device.gaid),
    ("device_id", "MMP device id (AppsFlyer-style)", "1716208334000-6513894",
     _device_attr("mmp_device_id")),
    ("adid", "Adjust-style device id, 32 hex", "18546f6171f67e29d1cb983322ad1329",
     _device_attr("adid")),
    ("att_status", "ATT status 0-3 (iOS only)", "3", _device_attr("att_status")),
    ("att_status_name", "ATT status name (iOS only)", "authorized",
     lambda c: None if c.install.device.att_status is None
     else ATT_NAMES[c.install.device.att_status]),
    ("tracking_limited", "1 unless the ad id is available", "0", _tracking_limited),
    # the app
    ("app_id", "store app id: id525463029 or com.example.game", "id525463029", _app_id),
    ("app_store_id", "numeric App Store id or Android package", "525463029", _store_id),
    ("bundle_id", "bundle id or package name", "com.example.game", _bundle_id),
    ("app_name", "app name", "Puzzle Quest", _attr("app.name")),
    ("app_version", "app version", "3.2.1", _attr("app.version")),
    ("sdk_version", "MMP SDK version", "6.14.0", _attr("app.sdk_version")),
    # this postback
    ("postback_id", "unique id of this postback", "pb_5f0c...", _attr("postback_id")),
    ("activity_kind", "install or event", "install", _attr("kind")),
    ("activity_name", "install, or the event's name as this network calls it (Branch name)",
     "install", lambda c: "install" if c.event is None
     else c.network.event_names.get(c.event.name, c.event.name)),
    ("install_id", "the MMP's install id", "in_1a2b...", _attr("install.install_id")),
    ("install_time", "install (first open) time, ISO 8601 UTC", "2026-01-05T14:03:07.123Z",
     lambda c: iso(c.install.time)),
    ("install_unix", "install time, unix seconds", "1767621787", _inline("int(ctx.install.time)")),
    ("install_unix_ms", "install time, unix milliseconds", "1767621787123",
     lambda c: unix_ms(c.install.time)),
    ("install_datetime", "install time, yyyy-MM-dd HH:mm:ss.SSS UTC", "2026-01-05 14:03:07.123",
     lambda c: mmp_datetime(c.install.time)),
    ("click_time", "click (touch) time, ISO 8601 UTC", "2026-01-05T13:58:01.000Z",
     _touch_time(iso)),
    ("click_unix", "click time, unix seconds", "1767621481",
     _inline("(None if ctx.install.touch is None else int(ctx.install.touch.time))")),
    ("click_unix_ms", "click time, unix milliseconds", "1767621481000", _touch_time(unix_ms)),
    ("click_datetime", "click time, yyyy-MM-dd HH:mm:ss.SSS UTC", "2026-01-05 13:58:01.000",
     _touch_time(mmp_datetime)),
    ("created_at", "when this install or event happened, unix seconds", "1767621787",
     _inline("int(ctx.install.time if ctx.event is None else ctx.event.time)")),
    ("created_at_ms", "when this install or event happened, unix ms", "1767621787123",
     lambda c: unix_ms(c.event.time if c.event is not None else c.install.time)),
    ("created_datetime", "when this install or event happened, yyyy-MM-dd HH:mm:ss.SSS UTC",
     "2026-01-05 14:03:07.123", lambda c: mmp_datetime(_moment(c))),
    # the event
    ("event_name", "event name as this network calls it", "af_purchase",
     _inline("(None if ctx.event is None"
             " else ctx.network.event_names.get(ctx.event.name, ctx.event.name))")),
    ("event_name_original", "event name as the app fired it", "af_purchase",
     _event_attr("name")),
    ("event_id", "the MMP's event id", "ev_9f8e...", _event_attr("event_id")),
    ("event_number_id", "a 64-bit decimal id of this install or event (Branch id)",
     "1287645382949917215", _number_id),
    ("event_token", "Adjust-style event token", "bkrfgq", _event_token),
    ("event_occurrence", "1 for the user's first such event, then 2, 3...", "1",
     _event_attr("occurrence")),
    ("event_value", "event parameters as a JSON string", '{"af_revenue":"4.59"}', _event_value),
    ("event_params", "event parameters as a JSON object", '{"af_revenue":"4.59"}', _event_params),
    ("event_time", "event time, ISO 8601 UTC", "2026-01-06T09:12:44.501Z", _event_time(iso)),
    ("event_unix", "event time, unix seconds", "1767690764", _event_time(int)),
    ("event_unix_ms", "event time, unix milliseconds", "1767690764501", _event_time(unix_ms)),
    ("event_datetime", "event time, yyyy-MM-dd HH:mm:ss.SSS UTC", "2026-01-06 09:12:44.501",
     _event_time(mmp_datetime)),
    ("revenue", "revenue in the event's currency", "4.59", _event_attr("revenue")),
    ("revenue_cents", "revenue in the currency's minor units", "459",
     lambda c: _cents(c.event.revenue) if c.event is not None else None),
    ("currency", "ISO 4217 currency of the revenue", "EUR", _event_attr("currency")),
    ("revenue_usd", "revenue converted to USD", "4.99", _event_attr("revenue_usd")),
    ("revenue_usd_cents", "revenue in US cents", "499",
     lambda c: _cents(c.event.revenue_usd) if c.event is not None else None),
    ("order_id", "purchase order id", "GPA.3372-8071-4532-12345", _event_attr("order_id")),
    ("search_query", "what the user searched for", "red shoes", _event_attr("search_query")),
]

CATALOGUE: dict[str, Macro] = {
    name: Macro(name, description, example, getter)
    for name, description, example, getter in _ENTRIES
}

MACRO_NAMES: frozenset[str] = frozenset(CATALOGUE)

# Macros whose value can differ between two event postbacks of the same install (what a
# per-install partial URL leaves open; activity_kind is "event" for all of them).
EVENT_SCOPED: frozenset[str] = frozenset(
    {"postback_id", "created_at", "created_at_ms", "created_datetime", "activity_name",
     "touch_lag_days", "touch_lag_hours", "touch_lag_minutes", "touch_lag_seconds",
     "revenue", "revenue_cents",
     "currency", "revenue_usd", "revenue_usd_cents", "order_id", "search_query"}
    | {name for name in CATALOGUE if name.startswith("event_")}
)

# Macros whose value is a JSON object or array (unhashable), not a scalar.
OBJECT_VALUED: frozenset[str] = frozenset({"event_params"})

# Macro name -> its value as an expression of ``ctx``, for the macros that have one.
INLINE: dict[str, str] = {
    name: _INLINED[macro.get] for name, macro in CATALOGUE.items() if macro.get in _INLINED
}
