"""The canonical S2S ingest shapes (``POST /mmp/v1/installs``, ``POST /mmp/v1/events``):
plain JSON in, validated requests out. Every mistake raises a SandboxError naming the field.

An install::

    {"platform": "ios", "device": {"idfa": "8C6C...", "idfv": "CCB3...", "ip": "203.0.113.7",
     "user_agent": "...", "model": "iPhone15,2", "os_version": "17.4", "country": "US"},
     "att_status": "authorized", "click_id": "...", "install_time": "2026-01-05T10:00:00Z"}

``referrer`` (a Play install referrer such as ``click_id=abc&utm_source=x``) may carry the
click id instead. An event names its install (``install_id``) or device (``device``: any id
the install came with), and ``name``, ``revenue``, ``currency``, ``params``, ``event_time``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from sandbox.errors import SandboxError
from sandbox.scenarios.journey import ATT_NAMES, ZERO_UUID

_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
ID_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    "idfa": (_UUID, "a UUID such as 8C6CBC0D-5F43-4765-A6E6-84DFF3D24707"),
    "idfv": (_UUID, "a UUID such as CCB300A0-DE1B-4D48-BC7E-599E453B8DD4"),
    "gaid": (_UUID, "a UUID such as 38400000-8cf0-11bd-b23e-10b96e40000d"),
    "oaid": (re.compile(r"[0-9A-Fa-f-]{16,64}"), "a UUID-like id"),
    "android_id": (re.compile(r"[0-9a-f]{16}"), "16 lower-case hex characters"),
    "adid": (re.compile(r"[0-9a-f]{32}"), "32 lower-case hex characters"),
    "appsflyer_id": (re.compile(r"\d{13}-\d+"), "<13-digit ms epoch>-<digits>"),
}
TEXT_FIELDS = ("ip", "user_agent", "model", "brand", "os_version", "country", "language")
TOKEN = re.compile(r"[A-Za-z0-9._~:-]{1,128}")
EVENT_NAME = re.compile(r"[A-Za-z0-9_.:\- ]{1,100}")
CURRENCY = re.compile(r"[A-Z]{3}")
MAX_REVENUE = 1e11


def bad(field_name: str, message: str, *, code: str = "bad_request") -> SandboxError:
    return SandboxError(f"{field_name}: {message}", code=code, field=field_name)


@dataclass(frozen=True)
class InstallRequest:
    platform: str
    ids: dict[str, str]
    att_status: int | None = None
    click_id: str | None = None
    install_time: float | None = None
    install_id: str | None = None
    details: dict[str, str] = field(default_factory=dict)  # ip, user agent, model, ...
    source: str = "s2s"

    @property
    def matchable_ids(self) -> tuple[str, ...]:
        """The ids a device match may use (a zeroed advertising id identifies no one)."""
        return tuple(v for v in self.ids.values() if v and v != ZERO_UUID)


@dataclass(frozen=True)
class EventRequest:
    name: str
    install_id: str | None = None
    device_ids: tuple[str, ...] = ()
    revenue: float | None = None
    currency: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    event_time: float | None = None
    event_id: str | None = None
    source: str = "s2s"
    dropped: str | None = None


def _object(raw: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(raw, dict):
        raise bad(name, "expected a JSON object", code="bad_json")
    return raw


def _text(raw: Mapping[str, Any], name: str, where: str, pattern: re.Pattern[str] | None = None,
          expected: str = "") -> str | None:
    value = raw.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or (pattern is not None and not pattern.fullmatch(value)):
        raise bad(f"{where}{name}", f"expected {expected or 'a string'}, got {value!r}")
    return value


LATEST_UNIX_TIME = 253_402_300_799  # 9999-12-31T23:59:59Z


def parse_time(value: Any, name: str) -> float | None:
    """Unix seconds from a number or an ISO-8601 time with a zone."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 0 <= value <= LATEST_UNIX_TIME:  # datetime cannot hold a later one
            return float(value)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return moment.timestamp()
    raise bad(name, f"expected unix seconds or an ISO-8601 time with a zone such as "
                    f"2026-01-05T10:00:00Z, got {value!r}")


def parse_ids(device: Mapping[str, Any], where: str = "device.") -> dict[str, str]:
    ids = {}
    for name, (pattern, expected) in ID_FORMATS.items():
        value = _text(device, name, where, pattern, expected)
        if value is not None:
            ids[name] = value
    return ids


def parse_att(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 3:
        return value
    if isinstance(value, str) and value in ATT_NAMES:
        return ATT_NAMES.index(value)
    raise bad("att_status", f"expected 0-3 or one of {', '.join(ATT_NAMES)}, got {value!r}")


def click_from_referrer(referrer: Any) -> str | None:
    if referrer is None:
        return None
    if not isinstance(referrer, str):
        raise bad("referrer", "expected an install referrer string such as click_id=abc")
    found = parse_qs(referrer).get("click_id") or parse_qs(referrer).get("clickid")
    return found[0] if found else None


def parse_install(body: Any) -> InstallRequest:
    raw = _object(body, "body")
    platform = raw.get("platform")
    if platform not in ("ios", "android"):
        raise bad("platform", f"expected ios or android, got {platform!r}")
    device = _object(raw.get("device", {}), "device")
    ids = parse_ids(device)
    if not ids:
        raise bad("device", "expected at least one device id: " + ", ".join(ID_FORMATS))
    details = {name: value for name in TEXT_FIELDS
               if (value := _text(device, name, "device.")) is not None}
    click_id = _text(raw, "click_id", "", TOKEN, "1-128 of A-Z a-z 0-9 . _ ~ : -")
    return InstallRequest(
        platform=platform, ids=ids, att_status=parse_att(raw.get("att_status")),
        click_id=click_id or click_from_referrer(raw.get("referrer")),
        install_time=parse_time(raw.get("install_time"), "install_time"),
        install_id=_text(raw, "install_id", "", TOKEN, "1-128 of A-Z a-z 0-9 . _ ~ : -"),
        details=details,
    )


def parse_revenue(value: Any, name: str = "revenue") -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise bad(name, f"expected a number, got {value!r}") from None
    if not 0 <= number <= MAX_REVENUE:
        raise bad(name, f"expected 0 to {MAX_REVENUE:.0f}, got {value!r}")
    return number


def parse_event(body: Any) -> EventRequest:
    raw = _object(body, "body")
    name = _text(raw, "name", "", EVENT_NAME, "an event name such as af_purchase")
    if name is None:
        raise bad("name", "required: the event name, such as af_purchase")
    install_id = _text(raw, "install_id", "", TOKEN, "an install id")
    device_ids = tuple(parse_ids(_object(raw.get("device", {}), "device")).values())
    if install_id is None and not device_ids:
        raise bad("install_id", "required: install_id, or a device with one of its ids")
    revenue = parse_revenue(raw.get("revenue"))
    currency = _text(raw, "currency", "", CURRENCY, "an ISO 4217 code such as USD")
    if revenue is not None and currency is None:
        raise bad("currency", "required with revenue: an ISO 4217 code such as USD")
    params = raw.get("params", {})
    if not isinstance(params, dict):
        raise bad("params", "expected a JSON object of event parameters")
    return EventRequest(
        name=name, install_id=install_id, device_ids=device_ids, revenue=revenue,
        currency=currency, params=params,
        event_time=parse_time(raw.get("event_time"), "event_time"),
        event_id=_text(raw, "event_id", "", TOKEN, "1-128 of A-Z a-z 0-9 . _ ~ : -"),
    )
