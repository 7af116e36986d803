"""What one user does after installing: sessions, funnel events, purchases (docs/scenarios.md)."""

from __future__ import annotations

import random
from collections.abc import Container, Mapping
from operator import attrgetter
from typing import Any

from sandbox.scenarios import money
from sandbox.scenarios.distributions import lognormal, poisson, retention_curve
from sandbox.scenarios.geo import COUNTRIES
from sandbox.scenarios.identities import Pools
from sandbox.scenarios.journey import AppEvent
from sandbox.scenarios.model import FunnelStep, Purchases, UserModel

DAY = 86400.0
_BY_TIME = attrgetter("time")


class ActivityModel:
    """Draws a user's events; built once per run, called once per install."""

    def __init__(self, users: UserModel, pools: Pools) -> None:
        self.users = users
        self.pools = pools
        retention = users.retention
        self.curve = retention_curve(retention.d1, retention.decay, retention.horizon_days)
        self.later_days = tuple(enumerate(self.curve))[1:]
        self.horizon = (retention.horizon_days + 1) * DAY
        self.session_event = retention.session_event
        self.per_install = tuple(s for s in users.funnel if s.per == "install")
        self.per_session = tuple(s for s in users.funnel if s.per == "session")

    def events(
        self, rng: random.Random, install_time: float, country: str, platform: str,
        *, keep: Container[str] | None = None,
    ) -> tuple[list[AppEvent], tuple[int, ...], int]:
        """The user's events in time order, the days (since install) with a session, and how
        many events the user fired in all.

        ``keep`` (default: every name) limits which events are built; the others cost only
        the random draws they need, so the stream (and every later user) stays the same.
        """
        sessions, active_days = self._sessions(rng, install_time)
        end = install_time + self.horizon
        user = _UserEvents(rng, end, keep, self.pools.phrases)
        if self.session_event:
            user.add_sessions(self.session_event, sessions)
        if self.per_session:
            for moment in sessions:
                for step in self.per_session:
                    if rng.random() < step.probability:
                        delay = min(lognormal(rng, step.delay, step.spread),
                                    step.max_delay or DAY)
                        user.add(step.event, moment + delay, step.params)
        firsts: dict[str, float] = {}
        for step in self.per_install:
            self._funnel_step(rng, step, install_time, end, user, firsts)
        purchases = self.users.purchases
        if purchases is not None and rng.random() < purchases.payer_share:
            self._purchases(rng, purchases, install_time, end, country, platform, user)
        events = [event for event in user.events if event.time < end]
        events.sort(key=_BY_TIME)
        return events, active_days, len(events) + user.skipped

    def _sessions(
        self, rng: random.Random, install_time: float
    ) -> tuple[list[float], tuple[int, ...]]:
        extra = self.users.retention.extra_sessions
        rand = rng.random
        sessions = [install_time]
        sessions += [install_time + rand() * DAY for _ in range(poisson(rng, extra))]
        active = [0]
        for day, share in self.later_days:
            if rand() < share:
                active.append(day)
                base = install_time + day * DAY
                for _ in range(1 + poisson(rng, extra)):
                    sessions.append(base + rand() * DAY)
        return sessions, tuple(active)

    def _funnel_step(
        self, rng: random.Random, step: FunnelStep, install_time: float, end: float,
        user: _UserEvents, firsts: dict[str, float],
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
            if step.counter_param:
                user.add(step.event, moment, {**step.params, step.counter_param: number + 2})
            else:
                user.add(step.event, moment, step.params)
            firsts.setdefault(step.event, moment)
            if rng.random() >= step.repeat:
                break
            moment += lognormal(rng, step.repeat_gap, 1.0)

    def _purchases(
        self, rng: random.Random, spec: Purchases, install_time: float, end: float,
        country: str, platform: str, user: _UserEvents,
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
            event = user.add(spec.event, moment, params)
            if event is not None:
                event.revenue, event.currency = price, currency
                event.revenue_usd = money.to_usd(price, currency)
                event.order_id = order_id
            if rng.random() >= spec.repeat:
                break
            moment += lognormal(rng, spec.repeat_gap, 1.0)


class _UserEvents:
    """One user's events as they are drawn: built when kept, only counted otherwise.

    Every event draws its id (and a search phrase, for search events) whether it is built
    or not: skipping a draw would shift every later random number of the stream.
    """

    __slots__ = ("rng", "end", "keep", "phrases", "events", "counts", "skipped")

    def __init__(self, rng: random.Random, end: float, keep: Container[str] | None,
                 phrases: tuple[str, ...]) -> None:
        self.rng = rng
        self.end = end
        self.keep = keep
        self.phrases = phrases
        self.events: list[AppEvent] = []
        self.counts: dict[str, int] = {}
        self.skipped = 0  # events not built that fall inside the horizon

    def add(self, name: str, moment: float, params: Mapping[str, Any]) -> AppEvent | None:
        """Draw one event; returns it, or None when ``keep`` leaves it out."""
        rng = self.rng
        if self.keep is not None and name not in self.keep:
            rng.getrandbits(80)
            if "search" in name:
                rng.random()
            self.skipped += moment < self.end
            return None
        occurrence = self.counts.get(name, 0) + 1
        self.counts[name] = occurrence
        event = AppEvent("%020x" % rng.getrandbits(80), name, moment,  # noqa: UP031 - faster
                         dict(params) if params else {}, None, None, None, occurrence)
        if "search" in name:
            phrases = self.phrases
            event.search_query = phrases[int(rng.random() * len(phrases))]
            event.params.setdefault("af_search_string", event.search_query)
        self.events.append(event)
        return event

    def add_sessions(self, name: str, sessions: list[float]) -> None:
        """The session event of every session but the install's own first open."""
        if self.keep is None or name in self.keep or "search" in name:
            for moment in sessions[1:]:
                self.add(name, moment, {})
            return
        # each skipped event draws an 80-bit id: three 32-bit words, as many as 96 bits take,
        # so one draw of 96 bits per session moves the stream exactly as far
        later = len(sessions) - 1
        if later > 0:
            self.rng.getrandbits(96 * later)
            end = self.end
            self.skipped += len([moment for moment in sessions[1:] if moment < end])


def _amount_text(amount: float) -> str:
    return str(int(amount)) if float(amount).is_integer() else f"{amount:.2f}"


def _order_id(rng: random.Random, platform: str) -> str:
    if platform == "android":
        digits = f"{rng.getrandbits(64) % 10**20:020d}"
        return f"GPA.{digits[:4]}-{digits[4:8]}-{digits[8:12]}-{digits[12:17]}"
    return str(2_000_000_000_000_000 + rng.randrange(10**15))
