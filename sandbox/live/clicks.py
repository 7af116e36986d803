"""The click tracker's core: a click on ``/c/<campaign>`` becomes a click record and a
redirect. Device hints come from the user agent; a device id the tracking link passes
(``idfa``, ``gaid``, ...) is kept for device-id attribution."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sandbox.clock import iso_utc
from sandbox.errors import NotFound, SandboxError
from sandbox.live.config import LiveModel
from sandbox.scenarios.journey import ZERO_UUID
from sandbox.store import Store
from sandbox.store.clicks import DuplicateClick, NewClick

CLICK_ID = re.compile(r"[A-Za-z0-9._~:-]{1,128}")
DEVICE_PARAMS = ("idfa", "gaid", "advertising_id", "gps_adid", "android_id", "idfv", "oaid",
                 "device_id")
_IOS = re.compile(r"\b(iPhone|iPad|iPod)\b.*?OS (\d+(?:_\d+)*)")
_ANDROID = re.compile(r"Android (\d+(?:\.\d+)*)(?:; ([^;)]+?))?(?: Build/|\)|;)")


@dataclass(frozen=True)
class ClickResult:
    click_id: str
    campaign: str
    network: str
    redirect: str | None


def device_hints(user_agent: str | None) -> dict[str, Any]:
    """Platform, OS version and model as far as the user agent tells them."""
    text = user_agent or ""
    ios = _IOS.search(text)
    if ios:
        return {"platform": "ios", "os_version": ios.group(2).replace("_", "."),
                "device_type": ios.group(1)}
    android = _ANDROID.search(text)
    if android:
        hints: dict[str, Any] = {"platform": "android", "os_version": android.group(1)}
        if android.group(2) and android.group(2).strip() not in ("U", "wv"):
            hints["model"] = android.group(2).strip()
        return hints
    return {"platform": None}


def click_id_from(params: dict[str, list[str]]) -> str:
    given = (params.get("click_id") or [""])[0]
    if not given:
        return str(uuid.uuid4())
    if not CLICK_ID.fullmatch(given):
        raise SandboxError(f"click_id: expected 1-128 of A-Z a-z 0-9 . _ ~ : -, got {given!r}",
                           code="bad_click_id", field="click_id")
    return given


def device_id_from(params: dict[str, list[str]]) -> str | None:
    for name in DEVICE_PARAMS:
        value = (params.get(name) or [""])[0].strip()
        if value and value != ZERO_UUID:
            return value
    return None


def store_url(model: LiveModel, platform: str | None) -> str | None:
    app = model.scenario.app
    if platform == "android" and app.android_package:
        return f"https://play.google.com/store/apps/details?id={app.android_package}"
    if app.ios_app_id is not None and platform != "android":
        return f"https://apps.apple.com/app/id{app.ios_app_id}"
    if app.android_package:
        return f"https://play.google.com/store/apps/details?id={app.android_package}"
    return None


def redirect_for(model: LiveModel, campaign: str, platform: str | None, click_id: str
                 ) -> str | None:
    configured = model.campaigns[campaign].redirect
    if configured is not None:
        return configured.replace("{click_id}", quote(click_id, safe=""))
    url = store_url(model, platform)
    if url is not None and "play.google.com" in url:
        url += "&referrer=" + quote(f"click_id={click_id}", safe="")
    return url


def record_click(
    store: Store, model: LiveModel, campaign: str, *, params: dict[str, list[str]],
    ip: str | None, user_agent: str | None, now: datetime,
) -> ClickResult:
    ref = model.campaigns.get(campaign)
    if ref is None:
        known = ", ".join(sorted(model.campaigns)) or "none configured"
        raise NotFound(f"no campaign named {campaign!r} (known: {known})", field="campaign")
    network = model.scenario.networks[ref.network].name
    click_id = click_id_from(params)
    hints = device_hints(user_agent)
    device_id = device_id_from(params)
    redirect = redirect_for(model, campaign, hints.get("platform"), click_id)
    try:
        store.clicks.insert(NewClick(
            click_id=click_id, campaign=campaign, network=network, clicked_at=iso_utc(now),
            clicked_unix=now.timestamp(), ip=ip, user_agent=user_agent,
            platform=hints.get("platform"), device_id=device_id, hints=hints, params=params,
            redirect=redirect,
        ))
    except DuplicateClick:
        raise SandboxError(f"click_id {click_id!r} was already recorded; leave click_id out "
                           "to get a fresh one", code="duplicate_click", status=409,
                           field="click_id") from None
    return ClickResult(click_id, campaign, network, redirect)
