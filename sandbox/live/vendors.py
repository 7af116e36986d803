"""Vendor-shaped ingest: AppsFlyer's S2S in-app event API and Adjust's S2S event and session
APIs (see the README), with their field names, validation and answers, so client code can point
at the sandbox by changing its base URL. Pure: the face hands over the path's app id, the
headers and the parsed parameters; errors are SandboxErrors in the one error shape whose
message carries the vendor's own wording.

AppsFlyer's quirk is kept: an iOS app id without its ``id`` prefix answers ``200 ok`` and the
event is dropped; the sandbox records it as dropped (visible on the capture and the event).
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sandbox.errors import SandboxError
from sandbox.live.config import MmpSettings
from sandbox.live.ingest import (
    CURRENCY,
    EVENT_NAME,
    ID_FORMATS,
    EventRequest,
    InstallRequest,
    parse_revenue,
)
from sandbox.scenarios.model import App

AF_MAX_PAYLOAD = 1024
AF_IOS_APP_ID = re.compile(r"id\d{1,12}")
AF_BARE_NUMBER = re.compile(r"\d{1,12}")
PACKAGE = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+")
AF_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}")
AF_DEVICE_FIELDS = {"idfa": "idfa", "idfv": "idfv", "advertising_id": "gaid", "oaid": "oaid"}
ADJUST_APP_TOKEN = re.compile(r"[a-z0-9]{12}")
ADJUST_EVENT_TOKEN = re.compile(r"[a-z0-9]{6}")
ADJUST_IDS = {"idfa": "idfa", "gps_adid": "gaid", "fire_adid": "gaid", "oaid": "oaid",
              "web_uuid": "web_uuid", "adid": "adid", "idfv": "idfv", "android_id": "android_id"}
IOS_IDS = ("idfa", "idfv")


@dataclass(frozen=True)
class VendorAnswer:
    status: int
    content_type: str
    body: str


AF_OK = VendorAnswer(200, "text/plain; charset=utf-8", "ok")
ADJUST_OK = VendorAnswer(200, "application/json", '{"status": "OK"}')


def _error(status: int, code: str, message: str, name: str | None) -> SandboxError:
    return SandboxError(message, code=code, status=status, field=name)


# --- AppsFlyer ---------------------------------------------------------------------------


def _af_bad(message: str, name: str | None) -> SandboxError:
    return _error(400, "bad_request", f"Bad request: {message}", name)


def appsflyer_auth(key: str | None, settings: MmpSettings) -> None:
    if not key:
        raise _error(401, "unauthorized", "Unauthorized: send the S2S key in the "
                     "'authentication' header", "authentication")
    expected = settings.appsflyer_dev_key
    if expected is not None and not hmac.compare_digest(key.encode(), expected.encode()):
        raise _error(401, "unauthorized", "Unauthorized: the authentication key does not "
                     "match the configured dev key", "authentication")


def appsflyer_app_dropped(app_id: str) -> str | None:
    """Why an event for ``app_id`` is dropped (AppsFlyer still answers 200), or None.

    An app id that is neither ``id<digits>`` (iOS), a bare number (iOS without its prefix:
    dropped) nor a package name is a bad request."""
    if AF_IOS_APP_ID.fullmatch(app_id) or PACKAGE.fullmatch(app_id):
        return None
    if AF_BARE_NUMBER.fullmatch(app_id):
        return (f"dropped: iOS app id {app_id!r} lacks the 'id' prefix (expected "
                f"id{app_id}); AppsFlyer answers 200 OK and does not record the event")
    raise _af_bad(f"app_id {app_id!r}: expected id<digits> for iOS (id525463029) or a "
                  "package name for Android (com.example.game)", "app_id")


def _af_event_value(raw: Any) -> dict[str, Any]:
    if raw is None or raw == "":
        return {}
    value = raw
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except ValueError:
            raise _af_bad("eventValue: expected a JSON object encoded as a string, such as "
                          '"{\\"af_revenue\\":\\"4.99\\"}"', "eventValue") from None
    if not isinstance(value, dict):
        raise _af_bad("eventValue: expected a JSON object (as a string)", "eventValue")
    return value


def _af_time(raw: Any) -> float | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not AF_TIME.fullmatch(raw):
        raise _af_bad(f"eventTime: expected yyyy-MM-dd HH:mm:ss.SSS (UTC), got {raw!r}",
                      "eventTime")
    try:
        moment = datetime.strptime(raw, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
    except ValueError:
        raise _af_bad(f"eventTime: not a real date and time: {raw!r}", "eventTime") from None
    return moment.timestamp()


def appsflyer_event(app_id: str, key: str | None, body: bytes,
                    settings: MmpSettings) -> EventRequest:
    """An AppsFlyer S2S in-app event; raises the answer AppsFlyer would give a bad one."""
    appsflyer_auth(key, settings)
    dropped = appsflyer_app_dropped(app_id)
    if len(body) > AF_MAX_PAYLOAD:
        raise _error(413, "payload_too_large", f"Bad request: payload of {len(body)} bytes "
                     f"exceeds the 1 KB limit", "body")
    try:
        raw = json.loads(body) if body else None
    except ValueError:
        raw = None
    if not isinstance(raw, dict):
        raise _af_bad("expected a JSON object body", "body")
    appsflyer_id = raw.get("appsflyer_id")
    if not appsflyer_id:
        raise _af_bad("appsflyer_id is required", "appsflyer_id")
    if not isinstance(appsflyer_id, str) or not ID_FORMATS["appsflyer_id"][0].fullmatch(
            appsflyer_id):
        raise _af_bad(f"appsflyer_id: expected <13-digit ms epoch>-<digits> such as "
                      f"1415211453000-6513894, got {appsflyer_id!r}", "appsflyer_id")
    name = raw.get("eventName")
    if not name:
        raise _af_bad("eventName is required", "eventName")
    if not isinstance(name, str) or not EVENT_NAME.fullmatch(name):
        raise _af_bad(f"eventName: expected an event name such as af_purchase, got {name!r}",
                      "eventName")
    value = _af_event_value(raw.get("eventValue"))
    currency = raw.get("eventCurrency") or value.get("af_currency") or None
    if currency is not None and (not isinstance(currency, str)
                                 or not CURRENCY.fullmatch(currency)):
        raise _af_bad(f"eventCurrency: expected an ISO 4217 code such as USD, got {currency!r}",
                      "eventCurrency")
    revenue = parse_revenue(value.get("af_revenue"), "eventValue.af_revenue")
    ids = [appsflyer_id] + [v for k in AF_DEVICE_FIELDS if isinstance(v := raw.get(k), str)
                            and v]
    return EventRequest(
        name=name, device_ids=tuple(ids), revenue=revenue,
        currency=currency if revenue is not None else currency, params=value,
        event_time=_af_time(raw.get("eventTime")), source="appsflyer", dropped=dropped,
    )


# --- Adjust ------------------------------------------------------------------------------


def _adjust(status: int, message: str, name: str | None) -> SandboxError:
    code = {400: "bad_request", 401: "unauthorized", 404: "not_found"}.get(status, "error")
    return _error(status, code, f"Event request failed ({message})", name)


def _one(params: Mapping[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[0] if values else None


def adjust_common(params: Mapping[str, list[str]], authorization: str | None,
                  settings: MmpSettings) -> dict[str, str]:
    """Checks shared by /event and /session; answers the device ids given (vendor names)."""
    if settings.adjust_s2s_token is not None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
                token.strip().encode(), settings.adjust_s2s_token.encode()):
            raise _adjust(401, "Failed to authorize request", "Authorization")
    if _one(params, "s2s") != "1":
        raise _adjust(400, "s2s=1 is required on server-to-server requests", "s2s")
    app_token = _one(params, "app_token")
    if not app_token or not ADJUST_APP_TOKEN.fullmatch(app_token):
        raise _adjust(400, "Invalid app token", "app_token")
    if settings.adjust_app_token is not None and app_token != settings.adjust_app_token:
        raise _adjust(404, "App token not found", "app_token")
    ids = {name: value for name in ADJUST_IDS if (value := _one(params, name))}
    if not ids:
        raise _adjust(404, "Device not found: send one of " + ", ".join(ADJUST_IDS),
                      "idfa")
    return ids


def _adjust_time(params: Mapping[str, list[str]]) -> float | None:
    raw = _one(params, "created_at_unix")
    if raw is None:
        return None
    if not raw.isdigit():
        raise _adjust(400, f"Bad event state: created_at_unix must be unix seconds, got "
                      f"{raw!r}", "created_at_unix")
    return float(raw)


def _callback_params(params: Mapping[str, list[str]], name: str) -> dict[str, Any]:
    raw = _one(params, name)
    if raw is None or raw == "":
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict) or any(isinstance(v, dict | list) for v in value.values()):
        raise _adjust(400, f"Invalid callback parameters: {name} must be a flat JSON object",
                      name)
    return value


def adjust_event(params: Mapping[str, list[str]], authorization: str | None,
                 settings: MmpSettings, app: App) -> EventRequest:
    ids = adjust_common(params, authorization, settings)
    token = _one(params, "event_token")
    if not token or not ADJUST_EVENT_TOKEN.fullmatch(token):
        raise _adjust(400, "Invalid event token", "event_token")
    revenue, currency = _one(params, "revenue"), _one(params, "currency")
    try:
        amount = parse_revenue(revenue)
    except SandboxError:
        raise _adjust(400, "Invalid revenue", "revenue") from None
    if amount is not None and (currency is None or not CURRENCY.fullmatch(currency)):
        raise _adjust(400, "Invalid revenue: currency must be an ISO 4217 code such as EUR",
                      "currency")
    names = {t: n for n, t in app.event_tokens.items()}
    event_params = {**_callback_params(params, "partner_params"),
                    **_callback_params(params, "callback_params"), "event_token": token}
    return EventRequest(
        name=names.get(token, token), device_ids=tuple(ids.values()), revenue=amount,
        currency=currency if amount is not None else None, params=event_params,
        event_time=_adjust_time(params), source="adjust",
    )


def adjust_session(params: Mapping[str, list[str]], authorization: str | None,
                   settings: MmpSettings) -> InstallRequest:
    """A session; the face makes it an install when the device is new."""
    ids = adjust_common(params, authorization, settings)
    canonical = {ADJUST_IDS[name]: value for name, value in ids.items()}
    platform = "ios" if any(name in ids for name in IOS_IDS) else "android"
    details = {k: v for k, v in (("ip", _one(params, "ip_address")),
                                 ("user_agent", _one(params, "user_agent"))) if v}
    return InstallRequest(platform=platform, ids=canonical,
                          install_time=_adjust_time(params), details=details, source="adjust")
