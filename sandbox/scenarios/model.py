"""The typed scenario: what ``scenario.load_scenario`` returns and the generator reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.scenarios.distributions import Weighted
from sandbox.scenarios.postback_template import PostbackTemplate

ATT_ORDER = ("not_determined", "restricted", "denied", "authorized")  # index = ATT status


@dataclass(frozen=True)
class App:
    name: str
    version: str = "1.0.0"
    sdk_version: str = "6.14.0"
    ios_app_id: int | None = None
    ios_bundle_id: str | None = None
    android_package: str | None = None
    event_tokens: Mapping[str, str] = field(default_factory=dict)

    @property
    def platforms(self) -> tuple[str, ...]:
        found = []
        if self.ios_app_id is not None:
            found.append("ios")
        if self.android_package is not None:
            found.append("android")
        return tuple(found)


@dataclass(frozen=True)
class FunnelStep:
    event: str
    probability: float
    per: str = "install"  # "install" | "session"
    delay: float = 600.0
    spread: float = 1.0
    max_delay: float | None = None
    requires: str | None = None
    repeat: float = 0.0
    repeat_max: int = 20
    repeat_gap: float = 6 * 3600.0
    counter_param: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Purchases:
    event: str = "af_purchase"
    payer_share: float = 0.02
    first_delay: float = 18 * 3600.0
    spread: float = 1.2
    median_usd: float = 4.99
    sigma: float = 1.1
    repeat: float = 0.5
    repeat_gap: float = 2 * 86400.0
    max_purchases: int = 50


@dataclass(frozen=True)
class Retention:
    d1: float = 0.26
    decay: float = 0.442
    horizon_days: int = 30
    extra_sessions: float = 1.5
    session_event: str | None = "af_app_opened"


@dataclass(frozen=True)
class UserModel:
    countries: Weighted[str]
    platforms: Weighted[str]
    att: Weighted[int]  # ATT status 0-3
    gaid_zeroed: float = 0.06
    retention: Retention = field(default_factory=Retention)
    funnel: tuple[FunnelStep, ...] = ()
    purchases: Purchases | None = field(default_factory=Purchases)


@dataclass(frozen=True)
class Campaign:
    name: str
    id: str
    clicks: int = 1000
    install_rate: float = 0.02
    impressions: int = 0
    view_install_rate: float = 0.001
    cpi_min: float = 1.0
    cpi_max: float = 3.0
    cost_currency: str = "USD"
    countries: Weighted[str] | None = None
    platforms: Weighted[str] | None = None
    click_lookback: float = 7 * 86400.0
    view_lookback: float = 86400.0
    ctit: str = "normal"
    publishers: tuple[str, ...] = ()
    tracker: str = ""


@dataclass(frozen=True)
class Network:
    name: str
    id: str
    media_source: str
    preset: str = "none"
    install: PostbackTemplate | None = None
    event: PostbackTemplate | None = None
    events: Mapping[str, PostbackTemplate] = field(default_factory=dict)
    send_events: frozenset[str] | None = frozenset()  # None: every event
    event_names: Mapping[str, str] = field(default_factory=dict)
    signing: Mapping[str, Any] = field(default_factory=lambda: {"kind": "none"})
    campaigns: tuple[Campaign, ...] = ()
    timeout: float | None = None  # over the scenario's delivery.timeout
    retry: RetryPolicy | None = None  # over the scenario's delivery.retry

    def template_for(self, event_name: str) -> PostbackTemplate | None:
        """The template an event is sent with, or None when this network does not get it."""
        if self.send_events is not None and event_name not in self.send_events:
            return None
        return self.events.get(event_name) or self.event


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    backoff: str = "exponential"
    base: float = 1.0
    max: float = 60.0
    jitter: float = 0.1
    on_status: tuple[int, ...] = ()
    statuses: bool = True  # False: only timeouts and connection errors are retried
    schedule: tuple[float, ...] = ()  # explicit waits before each retry (the last repeats)


@dataclass(frozen=True)
class Delivery:
    concurrency: int = 8
    timeout: float = 5.0
    rate: float | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    allow_failed: bool = False  # failed postbacks are part of the test: run does not fail


@dataclass(frozen=True)
class Chaos:
    duplicate: float = 0.0
    out_of_order: float = 0.0
    late: float = 0.0
    late_by: float = 30.0
    wrong_token: float = 0.0
    missing_token: float = 0.0
    missing_optional: float = 0.0
    encoding_edge: float = 0.0
    mark: bool = True  # name injected faults on the wire in X-Sandbox-Chaos


@dataclass(frozen=True)
class Attribution:
    view_through: bool = False
    competing_touch_share: float = 0.1


@dataclass(frozen=True)
class Scenario:
    name: str
    app: App
    users: UserModel
    networks: tuple[Network, ...]
    seed: int = 0
    description: str = ""
    start: float = 1767571200.0  # 2026-01-05T00:00:00Z
    days: float = 7.0
    organic_share: float = 0.0
    attribution: Attribution = field(default_factory=Attribution)
    delivery: Delivery = field(default_factory=Delivery)
    chaos: Chaos = field(default_factory=Chaos)
    channels: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    expect: tuple[Mapping[str, Any], ...] = ()
    source: Path | None = None

    @property
    def end(self) -> float:
        return self.start + self.days * 86400.0

    def event_names(self) -> frozenset[str]:
        """Every event name the user model can fire."""
        names = {step.event for step in self.users.funnel}
        if self.users.purchases is not None:
            names.add(self.users.purchases.event)
        if self.users.retention.session_event:
            names.add(self.users.retention.session_event)
        return frozenset(names)
