"""Vendor macro dialects: a postback template written in an MMP's own placeholder syntax,
read into the sandbox's ``{name}`` templates.

Each MMP spells macros its own way (the vendors' postback macro references): AppsFlyer
``(idfa)``, Adjust ``{gps_adid}``, Branch FreeMarker ``${(user_data.idfa)!}`` with
``<#if attributed>1<#else>0</#if>`` flags, Singular ``{IDFA}`` with ``{cl?Network}``
passthroughs, Kochava ``{idfa}``. A network's ``macros:`` names its dialect; a preset's own
templates are written in its vendor's. Translation happens once, when the scenario loads: each
vendor macro becomes the catalogue macro with the same meaning (the rendering hot path never
sees a dialect), text around macros stays literal, and an unknown vendor macro is an error
naming it and the ones this dialect knows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from sandbox.braces import TemplateError
from sandbox.docfile import did_you_mean


@dataclass(frozen=True)
class Dialect:
    name: str
    syntax: str  # what one macro looks like, for messages and docs
    pattern: re.Pattern[str]  # one vendor macro: group "name", or "flag" for Branch's #if
    names: Mapping[str, str]  # vendor macro -> catalogue macro
    prefixed: Mapping[str, str] = field(default_factory=dict)  # "cl?" + any network name
    flags: Mapping[str, str] = field(default_factory=dict)  # Branch <#if NAME>1<#else>0</#if>

    def translate(self, text: str) -> str:
        """``text`` as a sandbox template: vendor macros as ``{name}``, braces around them
        literal; TemplateError naming the first macro this dialect does not know."""
        pieces: list[str] = []
        position = 0
        for match in self.pattern.finditer(text):
            pieces.append(_literal(text[position:match.start()]))
            pieces.append("{" + self.macro(match) + "}")
            position = match.end()
        pieces.append(_literal(text[position:]))
        return "".join(pieces)

    def macro(self, match: re.Match[str]) -> str:
        flag = match.groupdict().get("flag")
        if flag is not None:
            return self._known(flag, self.flags, f"<#if {flag}>")
        vendor = match.group("name")
        prefix, question, _ = vendor.partition("?")
        if question and prefix + "?" in self.prefixed:
            return self.prefixed[prefix + "?"]
        return self._known(vendor, self.names, match.group(0))

    def _known(self, vendor: str, table: Mapping[str, str], shown: str) -> str:
        if vendor in table:
            return table[vendor]
        known = [*self.names, *(f"{p}Network" for p in self.prefixed),
                 *(f"<#if {f}>" for f in self.flags)]
        raise TemplateError(
            f"unknown {self.name} macro {shown}{did_you_mean(vendor, list(table))}; "
            f"{self.name} macros ({self.syntax}): {', '.join(sorted(known))}")

    def vendor_names(self) -> dict[str, str]:
        """Every vendor spelling (as a template writes it) -> its catalogue macro."""
        spelled = {self.syntax.replace("NAME", name): macro for name, macro in self.names.items()}
        spelled |= {self.syntax.replace("NAME", f"{prefix}Network"): macro
                    for prefix, macro in self.prefixed.items()}
        spelled |= {f"<#if {flag}>1<#else>0</#if>": macro for flag, macro in self.flags.items()}
        return spelled


def _literal(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


SANDBOX = "sandbox"

APPSFLYER = Dialect(
    name="appsflyer", syntax="(NAME)",
    pattern=re.compile(r"\((?P<name>[A-Za-z][\w-]*)\)"),
    names={
        "idfa": "idfa", "sha1-idfa": "idfa_sha1", "advertiserId": "gaid",
        "sha1-advertiserId": "gaid_sha1", "android-id": "android_id", "vendorid": "idfv",
        "app-id": "app_id", "app-name": "app_name", "app-version-name": "app_version",
        "install-unix-ts": "install_unix", "click-ts": "click_unix", "campaign": "campaign",
        "country_code": "country", "city": "city", "ip": "ip", "user-agent": "user_agent",
        "device-model": "device_model", "device_brand": "device_brand", "carrier": "carrier",
        "language": "language", "os-version": "os_version", "wifi": "wifi",
        "appsflyer-device-id": "device_id", "sdk-version": "sdk_version",
        "match-type": "match_type", "clickid": "click_id", "pid": "media_source",
        "af_siteid": "site_id", "af_c_id": "campaign_id", "event-name": "event_name",
        "monetary": "revenue_usd", "orig-monetary": "revenue", "currency": "currency",
        "event-value": "event_value",
    },
)

ADJUST = Dialect(
    name="adjust", syntax="{NAME}",
    pattern=re.compile(r"\{(?P<name>[a-z][a-z0-9_]*)\}"),
    names={
        "gps_adid": "gaid", "idfa": "idfa", "idfv": "idfv", "adid": "adid",
        "tracker": "tracker", "tracker_name": "tracker_name", "app_name": "app_name",
        "activity_kind": "activity_kind", "created_at": "created_at",
        "installed_at": "install_unix", "conversion_duration": "ctit", "event": "event_token",
        "event_name": "event_name", "network_name": "network_name",
        "campaign_name": "campaign", "adgroup_name": "site_id", "app_id": "app_id",
        "app_version": "app_version", "click_time": "click_unix", "ip_address": "ip",
        "country": "country_lower", "language": "language", "device_name": "device_model",
        "device_type": "device_type", "os_name": "platform", "os_version": "os_version",
        "sdk_version": "sdk_version", "android_id": "android_id", "revenue": "revenue",
        "revenue_float": "revenue", "revenue_usd": "revenue_usd",
        "revenue_usd_cents": "revenue_usd_cents", "currency": "currency",
        "click_attribution_window": "click_lookback_hours",
        "impression_attribution_window": "view_lookback_hours", "att_status": "att_status",
        "tracking_limited": "tracking_limited", "cost_type": "cost_model",
        "cost_amount": "cost", "click_id": "click_id",
    },
)

BRANCH = Dialect(
    name="branch", syntax="${(NAME)!}",
    pattern=re.compile(r"\$\{\((?P<name>[^()]*)\)!\}|<#if (?P<flag>[\w.]+)>1<#else>0</#if>"),
    names={
        "name": "activity_name", "id": "event_number_id",
        "event_timestamp": "created_at_ms", "last_attributed_touch_type": "touch_type",
        "last_attributed_touch_timestamp": "click_unix_ms",
        "days_from_last_attributed_touch_to_event": "touch_lag_days",
        "hours_from_last_attributed_touch_to_event": "touch_lag_hours",
        "minutes_from_last_attributed_touch_to_event": "touch_lag_minutes",
        "seconds_from_last_attributed_touch_to_event": "touch_lag_seconds",
        "last_attributed_touch_data.~campaign": "campaign",
        "last_attributed_touch_data.~campaign_id": "campaign_id",
        "last_attributed_touch_data.~channel": "network_name",
        "last_attributed_touch_data.~advertising_partner_name": "network_name",
        "last_attributed_touch_data.~secondary_publisher": "site_id",
        "last_attributed_touch_data.~external_touch": "click_id",
        "user_data.os": "platform_upper", "user_data.os_version": "os_version",
        "user_data.app_version": "app_version", "user_data.brand": "device_brand",
        "user_data.model": "device_model", "user_data.language": "language",
        "user_data.carrier_name": "carrier", "user_data.idfa": "idfa",
        "user_data.idfv": "idfv", "user_data.aaid": "gaid",
        "user_data.android_id": "android_id", "user_data.ip": "ip",
        "user_data.user_agent": "user_agent", "user_data.geo_country_code": "country",
        "install_activity.timestamp": "install_unix_ms",
        "event_data.revenue": "revenue", "event_data.currency": "currency",
        "event_data.revenue_in_usd": "revenue_usd", "event_data.transaction_id": "order_id",
        "event_data.search_query": "search_query",
    },
    flags={"attributed": "attributed", "user_data.limit_ad_tracking": "tracking_limited"},
)

SINGULAR = Dialect(
    name="singular", syntax="{NAME}",
    pattern=re.compile(r"\{(?P<name>[A-Z][A-Z0-9_]*(?:\?[^{}?]+)?|[a-z]+\?[^{}?]+)\}"),
    names={
        "APP_NAME": "app_name", "LONGNAME": "bundle_id", "PUBLIC_ID": "app_store_id",
        "CID": "campaign", "CLID": "click_id", "NETWORK": "network_name",
        "IS_RE_ENG": "reengagement", "IS_VIEWTHROUGH": "viewthrough",
        "TOUCHPOINT_IP": "ip", "ATTRIBUTION_IP": "ip", "EVENT_IP": "ip",
        "IDFA": "idfa", "IFA1": "idfa_sha1", "IFA5": "idfa_md5", "IDFV": "idfv",
        "AIFA": "gaid", "ANDI": "android_id", "OS_VERSION": "os_version",
        "APP_VERSION": "app_version", "PLATFORM": "platform",
        "ATTRIBUTION_COUNTRY": "country", "EVTNAME": "event_name", "AMOUNT": "revenue",
        "CURRENCY": "currency", "EVTATTRS": "event_value", "TIME": "created_at",
        "UTC": "created_datetime", "UTCM": "created_at_ms", "CLICK_TIME": "click_unix",
        "CLICK_UTC": "click_datetime", "INSTALL_TIME": "install_unix",
        "INSTALL_UTC": "install_datetime",
    },
    prefixed={"cl?": "click_id", "psid?": "site_id"},
)

KOCHAVA = Dialect(
    name="kochava", syntax="{NAME}",
    pattern=re.compile(r"\{(?P<name>[a-z][a-z0-9_]*)\}"),
    names={
        "network_name": "network_name", "idfa": "idfa", "adid": "gaid",
        "android_id": "android_id", "idfv": "idfv", "site_id": "site_id",
        "campaign_id": "campaign_id", "campaign_name": "campaign", "click_id": "click_id",
        "country": "country", "event_name": "event_name", "event_value": "revenue",
        "currency": "currency", "event_time": "created_at",
        "origination_ip": "ip", "device_ua": "user_agent", "kochava_device_id": "device_id",
        "app_version": "app_version", "os_version": "os_version",
    },
)

DIALECTS: dict[str, Dialect] = {d.name: d for d in (APPSFLYER, ADJUST, BRANCH, SINGULAR, KOCHAVA)}
DIALECT_NAMES = (SANDBOX, *DIALECTS)


def translate(text: str, dialect: str) -> str:
    """``text`` read in ``dialect`` ("sandbox": as it is)."""
    return text if dialect == SANDBOX else DIALECTS[dialect].translate(text)
