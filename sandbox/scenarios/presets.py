"""Vendor-shaped postback templates, with the parameter names real endpoints receive.

Each preset gives URL paths that are appended to a network's ``endpoint``; a scenario's own
``postbacks`` override them kind by kind. docs/scenarios.md (Presets) lists them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    install: str | None = None  # path + query appended to the endpoint
    event: str | None = None  # default in-app event template
    send_events: tuple[str, ...] = ("af_purchase",)
    drop_empty: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    dialect: str = "sandbox"  # the macro syntax its templates are written in (dialects.py)
    event_names: dict[str, str] = field(default_factory=dict)  # the vendor's names for events
    habits: str = ""  # how the vendor delivers (its docs), for docs/scenarios.md
    delivery: dict[str, Any] | None = None  # those habits as a network's `delivery:`


APPSFLYER = Preset(
    name="appsflyer",
    description="AppsFlyer-style ad-network postbacks (install and in-app), GET with query "
    "parameters named as AppsFlyer partners receive them.",
    install=(
        "/install?clickid={click_id}&pid={media_source}&idfa={idfa}&app_id={app_id}"
        "&install_unix_ts={install_unix}&click_ts={click_unix}&country_code={country}&ip={ip}"
        "&os_version={os_version}&match_type={match_type}&advertising_id={gaid}"
        "&android_id={android_id}&vendorid={idfv}&c={campaign}&af_c_id={campaign_id}"
        "&af_siteid={site_id}&device_model={device_model}&user_agent={user_agent}"
        "&att={att_status_name}&app_version={app_version}&af_cost_model={cost_model}"
        "&af_cost_value={cost}&af_cost_currency={cost_currency}"
    ),
    event=(
        "/event?clickid={click_id}&pid={media_source}&idfa={idfa}&advertising_id={gaid}"
        "&app_id={app_id}&event_name={event_name}&revenue_usd={revenue_usd}"
        "&orig_revenue={revenue}&currency={currency}&event_value={event_value}"
        "&event_time={event_datetime}&install_unix_ts={install_unix}&country_code={country}"
        "&c={campaign}&af_siteid={site_id}"
    ),
)

ADJUST = Preset(
    name="adjust",
    description="Adjust-style callbacks: GET with Adjust placeholder names; parameters whose "
    "placeholder has no value are dropped, as Adjust does.",
    install=(
        "/install?gps_adid={gaid}&idfa={idfa}&idfv={idfv}&adid={adid}&tracker={tracker}"
        "&tracker_name={tracker_name}&activity_kind={activity_kind}&click_id={click_id}"
        "&created_at={created_at}&installed_at={install_unix}&click_time={click_unix}"
        "&conversion_duration={ctit}&country={country_lower}&os_name={platform}"
        "&os_version={os_version}&device_name={device_model}&ip_address={ip}"
        "&att_status={att_status}&tracking_limited={tracking_limited}"
        "&cost_type={cost_model}&cost_amount={cost}&cost_currency={cost_currency}"
    ),
    event=(
        "/event?gps_adid={gaid}&idfa={idfa}&adid={adid}&tracker={tracker}"
        "&activity_kind={activity_kind}&event_token={event_token}&event_name={event_name}"
        "&revenue={revenue}&currency={currency}&created_at={created_at}&country={country_lower}"
        "&os_name={platform}&revenue_usd={revenue_usd}&click_id={click_id}"
    ),
    drop_empty=True,
)

TUNE = Preset(
    name="tune",
    description="TUNE/HasOffers-style affiliate conversion pixels: aff_lsr for the install, "
    "aff_goal for events; transaction_id is the network's click id.",
    install=(
        "/aff_lsr?offer_id={campaign_id}&transaction_id={click_id}&adv_sub={install_id}"
        "&amount={payout}&aff_sub={site_id}"
    ),
    event=(
        "/aff_goal?a=lsr&goal_name={event_name}&offer_id={campaign_id}"
        "&transaction_id={click_id}&adv_sub={event_id}&amount={revenue_usd}"
    ),
)

EVERFLOW = Preset(
    name="everflow",
    description="Everflow-style postbacks: nid plus transaction_id, with amount, order_id "
    "and event_id for events.",
    install="/?nid={network_id}&transaction_id={click_id}&amount={payout}&adv1={install_id}",
    event=(
        "/?nid={network_id}&transaction_id={click_id}&event_id={event_token}"
        "&amount={revenue_usd}&order_id={order_id}&adv1={event_id}&adv2={event_name}"
    ),
)

_BRANCH_TOUCH = "".join(
    f"&{part}_from_last_attributed_touch_to_event=${{({part}_from_last_attributed_touch_to_event)!}}"
    for part in ("days", "hours", "minutes", "seconds"))
_BRANCH_USER = "".join(f"&{name}=${{(user_data.{name})!}}" for name in (
    "os", "os_version", "app_version", "brand", "model", "language", "idfa", "idfv", "aaid",
    "android_id", "ip", "user_agent", "geo_country_code"))
_BRANCH_COMMON = (
    "?name=${(name)!}&id=${(id)!}&event_timestamp=${(event_timestamp)!}"
    "&attributed=<#if attributed>1<#else>0</#if>"
    "&last_attributed_touch_type=${(last_attributed_touch_type)!}"
    "&last_attributed_touch_timestamp=${(last_attributed_touch_timestamp)!}"
    + _BRANCH_TOUCH
    + "&campaign=${(last_attributed_touch_data.~campaign)!}"
    "&campaign_id=${(last_attributed_touch_data.~campaign_id)!}"
    "&channel=${(last_attributed_touch_data.~channel)!}"
    "&secondary_publisher=${(last_attributed_touch_data.~secondary_publisher)!}"
    "&external_touch=${(last_attributed_touch_data.~external_touch)!}"
    + _BRANCH_USER
    + "&limit_ad_tracking=<#if user_data.limit_ad_tracking>1<#else>0</#if>"
)

BRANCH = Preset(
    name="branch",
    description="Branch-style webhooks: templates in Branch's FreeMarker macros, Branch's "
    "standard event names, unix-millisecond times, empty values sent empty.",
    install="/install" + _BRANCH_COMMON,
    event=(
        "/event" + _BRANCH_COMMON + "&revenue=${(event_data.revenue)!}"
        "&currency=${(event_data.currency)!}&revenue_in_usd=${(event_data.revenue_in_usd)!}"
        "&transaction_id=${(event_data.transaction_id)!}"
    ),
    dialect="branch",
    event_names={
        "af_purchase": "purchase", "af_add_to_cart": "add_to_cart",
        "af_add_to_wishlist": "add_to_wishlist", "af_initiated_checkout": "initiate_purchase",
        "af_add_payment_info": "add_payment_info", "af_spent_credits": "spend_credits",
        "af_complete_registration": "complete_registration",
        "af_tutorial_completion": "complete_tutorial", "af_level_achieved": "achieve_level",
        "af_achievement_unlocked": "unlock_achievement", "af_invite": "invite",
        "af_login": "login", "af_subscribe": "subscribe", "af_start_trial": "start_trial",
        "af_ad_click": "click_ad", "af_ad_view": "view_ad", "af_search": "search",
        "af_content_view": "view_item", "af_share": "share", "af_rate": "rate",
    },
    habits="GET or POST; waits 2 s for an answer and retries timeouts only, not error codes",
    delivery={"timeout": "2s", "retry": {"attempts": 3, "statuses": False}},
)

SINGULAR = Preset(
    name="singular",
    description="Singular-style postbacks: templates in Singular's upper-case macros with "
    "the network's click id passed through ({cl?Network}), event names as the app sends them.",
    install=(
        "/install?cl_id={cl?Sandbox}&clid={CLID}&app={LONGNAME}&app_name={APP_NAME}"
        "&public_id={PUBLIC_ID}&campaign={CID}&site={psid?Sandbox}"
        "&is_viewthrough={IS_VIEWTHROUGH}&is_re_eng={IS_RE_ENG}&idfa={IDFA}&idfv={IDFV}"
        "&aifa={AIFA}&andi={ANDI}&ip={ATTRIBUTION_IP}&country={ATTRIBUTION_COUNTRY}"
        "&platform={PLATFORM}&os_version={OS_VERSION}&app_version={APP_VERSION}"
        "&install_time={INSTALL_TIME}&click_time={CLICK_TIME}&timestamp={UTCM}"
    ),
    event=(
        "/event?cl_id={cl?Sandbox}&event={EVTNAME}&amount={AMOUNT}&currency={CURRENCY}"
        "&attrs={EVTATTRS}&ip={EVENT_IP}&idfa={IDFA}&aifa={AIFA}&platform={PLATFORM}"
        "&install_time={INSTALL_TIME}&timestamp={UTCM}"
    ),
    dialect="singular",
    habits="GET templates to networks; on a 5xx retries up to 5 times, after 1, 5, 15, 30 "
    "and 60 minutes",
    delivery={"retry": {"attempts": 6, "on_status": list(range(500, 600)),
                        "schedule": ["1m", "5m", "15m", "30m", "60m"]}},
)

KOCHAVA = Preset(
    name="kochava",
    description="Kochava-style postbacks: lower-case Kochava field names, _install as the "
    "install's event name, Kochava's standard event types.",
    install=(
        "/install?network_name={network_name}&event_name=_install&idfa={idfa}&idfv={idfv}"
        "&adid={adid}&android_id={android_id}&site_id={site_id}&campaign_id={campaign_id}"
        "&click_id={click_id}&country={country}&origination_ip={origination_ip}"
        "&device_ua={device_ua}&kochava_device_id={kochava_device_id}&event_time={event_time}"
    ),
    event=(
        "/event?network_name={network_name}&event_name={event_name}"
        "&event_value={event_value}&currency={currency}&idfa={idfa}&adid={adid}"
        "&site_id={site_id}&click_id={click_id}&country={country}&event_time={event_time}"
    ),
    dialect="kochava",
    event_names={
        "af_purchase": "Purchase", "af_add_to_cart": "Add to Cart",
        "af_add_to_wishlist": "Add to Wish List", "af_initiated_checkout": "Checkout Start",
        "af_level_achieved": "Level Complete", "af_rate": "Rating",
        "af_complete_registration": "Registration Complete", "af_search": "Search",
        "af_tutorial_completion": "Tutorial Complete", "af_content_view": "View",
        "af_ad_view": "Ad View", "af_ad_click": "Ad Click", "af_start_trial": "Start Trial",
        "af_subscribe": "Subscribe", "af_achievement_unlocked": "Achievement",
    },
    habits="GET or POST; an optional delay of up to 10 minutes and 0 to 10 retries, as the "
    "network configures",
)

NONE = Preset(name="none", description="No preset: write every template yourself.",
              send_events=())

PRESETS: dict[str, Preset] = {p.name: p for p in (
    APPSFLYER, ADJUST, BRANCH, SINGULAR, KOCHAVA, TUNE, EVERFLOW, NONE)}


def preset_url(endpoint: str, path: str) -> str:
    """Join a literal endpoint and a preset path; braces in the endpoint stay literal."""
    literal = endpoint.rstrip("/").replace("{", "{{").replace("}", "}}")
    return literal + path
