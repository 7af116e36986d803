"""What one user does after installing: sessions, funnel events, purchases (DOMAIN.md 8.1-8.3)."""

from __future__ import annotations

import random
from operator import attrgetter
from typing import Any

from sandbox import money
from sandbox.distributions import lognormal, poisson, retention_curve
from sandbox.geo import COUNTRIES
from sandbox.identities import Pools, hex_id
from sandbox.journey import AppEvent
from sandbox.scenario_model import FunnelStep, Purchases, UserModel

DAY = 86400.0
_BY_TIME = attrgetter("time")


class ActivityModel:
    """Draws a user's events; built once per run, called once per install."""

    def __init__(self, users: UserModel, pools: Pools) -> None:
        self.users = users
        self.pools = pools
        retention = users.retention
        self.curve = retention_curve(retention.d1, retention.decay, retention.horizon_days)
        self.horizon = (retention.horizon_days + 1) * DAY
        self.session_event = retention.session_event
        self.per_install = tuple(s for s in users.funnel if s.per == "install")
        self.per_session = tuple(s for s in users.funnel if s.per == "session")

    def events(
        self, rng: random.Random, install_time: float, country: str, platform: str
    ) -> tuple[list[AppEvent], tuple[int, ...]]:
        """The user's events in time order, and the days (since install) with a session."""
        sessions, active_days = self._sessions(rng, install_time)
        events: list[AppEvent] = []
        end = install_time + self.horizon
        counts: dict[str, int] = {}
        if self.session_event:
            for moment in sessions[1:]:
                self._add(rng, events, counts, self.session_event, moment, {})
        for moment in sessions:
            for step in self.per_session:
                if rng.random() < step.probability:
                    delay = min(lognormal(rng, step.delay, step.spread), step.max_delay or DAY)
                    self._add(rng, events, counts, step.event, moment + delay, dict(step.params))
        firsts: dict[str, float] = {}
        for step in self.per_install:
            self._funnel_step(rng, step, install_time, end, events, counts, firsts)
        purchases = self.users.purchases
        if purchases is not None and rng.random() < purchases.payer_share:
            self._purchases(rng, purchases, install_time, end, country, platform, events, counts)
        events = [event for event in events if event.time < end]
        events.sort(key=_BY_TIME)
        return events, active_days

    def _sessions(
        self, rng: random.Random, install_time: float
    ) -> tuple[list[float], tuple[int, ...]]:
        extra = self.users.retention.extra_sessions
        sessions = [install_time]
        sessions.extend(install_time + rng.random() * DAY for _ in range(poisson(rng, extra)))
        active = [0]
        for day in range(1, len(self.curve)):
            if rng.random() < self.curve[day]:
                active.append(day)
                base = install_time + day * DAY
                for _ in range(1 + poisson(rng, extra)):
                    sessions.append(base + rng.random() * DAY)
        return sessions, tuple(active)

    def _add(
        self, rng: random.Random, events: list[AppEvent], counts: dict[str, int],
        name: str, moment: float, params: dict[str, Any],
    ) -> AppEvent:
        occurrence = counts.get(name, 0) + 1
        counts[name] = occurrence
        event = AppEvent(hex_id(rng, 20), name, moment, params, occurrence=occurrence)
        if "search" in name:
            phrases = self.pools.phrases
            event.search_query = phrases[int(rng.random() * len(phrases))]
            params.setdefault("af_search_string", event.search_query)
        events.append(event)
        return event

    def _funnel_step(
        self, rng: random.Random, step: FunnelStep, install_time: float, end: float,
        events: list[AppEvent], counts: dict[str, int], firsts: dict[str, float],
    ) -> None:
        start = install_time
        if step.requires is not None:
            if step.requires not in firsts:
                return
            start = firsts[step.requires]
        if rng.random() >= step.probability:
            return
        cap = step.max_delay if step.max_delay is not None else self.horizon
        moment = start + min(lognormal(rng, step.delay, step.spread), cap)
        for number in range(step.repeat_max):
            if moment >= end:
                break
            params = dict(step.params)
            if step.counter_param:
                params[step.counter_param] = number + 2
            self._add(rng, events, counts, step.event, moment, params)
            firsts.setdefault(step.event, moment)
            if rng.random() >= step.repeat:
                break
            moment += lognormal(rng, step.repeat_gap, 1.0)

    def _purchases(
        self, rng: random.Random, spec: Purchases, install_time: float, end: float,
        country: str, platform: str, events: list[AppEvent], counts: dict[str, int],
    ) -> None:
        currency = COUNTRIES[country].currency
        moment = install_time + lognormal(rng, spec.first_delay, spec.spread)
        for _ in range(spec.max_purchases):
            if moment >= end:
                break
            tier = money.tier_index(lognormal(rng, spec.median_usd, spec.sigma))
            price = money.local_price(currency, tier)
            order_id = _order_id(rng, platform)
            params = {"af_revenue": _amount_text(price), "af_currency": currency,
                      "af_quantity": 1, "af_content_id": f"tier_{tier + 1}",
                      "af_order_id": order_id}
            event = self._add(rng, events, counts, spec.event, moment, params)
            event.revenue, event.currency = price, currency
            event.revenue_usd = money.to_usd(price, currency)
            event.order_id = order_id
            if rng.random() >= spec.repeat:
                break
            moment += lognormal(rng, spec.repeat_gap, 1.0)


def _amount_text(amount: float) -> str:
    return str(int(amount)) if float(amount).is_integer() else f"{amount:.2f}"


def _order_id(rng: random.Random, platform: str) -> str:
    if platform == "android":
        digits = f"{rng.getrandbits(64) % 10**20:020d}"
        return f"GPA.{digits[:4]}-{digits[4:8]}-{digits[8:12]}-{digits[12:17]}"
    return str(2_000_000_000_000_000 + rng.randrange(10**15))
