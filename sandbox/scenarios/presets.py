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

NONE = Preset(name="none", description="No preset: write every template yourself.",
              send_events=())

PRESETS: dict[str, Preset] = {p.name: p for p in (APPSFLYER, ADJUST, TUNE, EVERFLOW, NONE)}


def preset_url(endpoint: str, path: str) -> str:
    """Join a literal endpoint and a preset path; braces in the endpoint stay literal."""
    literal = endpoint.rstrip("/").replace("{", "{{").replace("}", "}}")
    return literal + path
