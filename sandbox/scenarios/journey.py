"""The records synthetic traffic is made of: a device, its touches, its install and events.

Times are float unix seconds of simulated time (cheap to make a million of); ``sandbox.clock``
formats them when a human or a postback needs text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ZERO_UUID = "00000000-0000-0000-0000-000000000000"
ATT_NAMES = ("not_determined", "restricted", "denied", "authorized")


@dataclass(slots=True)
class Device:
    platform: str  # "ios" | "android"
    country: str  # ISO 3166 alpha-2, upper case
    city: str
    language: str  # BCP 47, e.g. "en-US"
    ip: str
    user_agent: str
    brand: str
    model: str  # model identifier, e.g. "iPhone15,2" or "SM-S918B"
    os_version: str
    carrier: str
    wifi: bool
    idfa: str | None = None  # iOS; ZERO_UUID unless ATT authorized
    idfv: str | None = None  # iOS
    att_status: int | None = None  # iOS: 0 not determined, 1 restricted, 2 denied, 3 authorized
    gaid: str | None = None  # Android; ZERO_UUID when the user opted out
    android_id: str | None = None  # Android
    mmp_device_id: str = ""  # AppsFlyer-style "<13-digit ms>-<digits>"
    adid: str = ""  # Adjust-style 32 lower-case hex


@dataclass(slots=True)
class Touch:
    """A click or an impression on a campaign's tracking link."""

    kind: str  # "click" | "impression"
    touch_id: str  # the network's click id (transaction id in affiliate land)
    network: int  # index into scenario.networks
    campaign: int  # index into that network's campaigns
    time: float
    lookback: float  # seconds this touch stays eligible
    site_id: str = ""


@dataclass(slots=True)
class Install:
    install_id: str
    time: float  # first open
    device: Device
    touch: Touch | None  # the winning touch; None means organic
    touches: int = 1  # how many touches competed
    cost: float | None = None  # CPI in cost_currency, None for organic
    cost_currency: str = "USD"
    match_type: str = ""  # "id_matching" | "gp_referrer" | "fingerprint" | ""

    @property
    def organic(self) -> bool:
        return self.touch is None

    @property
    def ctit(self) -> float | None:
        return None if self.touch is None else self.time - self.touch.time


@dataclass(slots=True)
class AppEvent:
    event_id: str
    name: str
    time: float
    params: dict[str, Any] = field(default_factory=dict)
    revenue: float | None = None  # in `currency`
    currency: str | None = None
    revenue_usd: float | None = None
    occurrence: int = 1  # 1 for the first time this user fired this event
    search_query: str | None = None
    order_id: str | None = None


@dataclass(slots=True)
class Journey:
    """One user: the install and its in-app events after it, in time order."""

    install: Install
    events: list[AppEvent]
    active_days: tuple[int, ...] = ()  # days since install (day 0 = install day) with a session
    fired: int | None = None  # events fired in all, when ``events`` holds only some of them

    @property
    def event_count(self) -> int:
        """How many events the user fired (``events`` may be only those a network gets)."""
        return len(self.events) if self.fired is None else self.fired
