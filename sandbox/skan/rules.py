"""Apple's SKAdNetwork 4 rules, pure: conversion windows and delays, conversion-value updates
with lock windows, and what each postback may carry by crowd-anonymity tier (README: SKAdNetwork).

Offsets are seconds after the install's first launch. Events are placed in windows on the
simulated (production) timeline; ``Timeline`` then maps the moment a postback is due onto the
run's timeline (Apple's developer-mode minutes, optionally compressed further).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sandbox.scenarios.journey import AppEvent
from sandbox.scenarios.skan_section import ValueRule

DAY = 86400.0
MINUTE = 60.0
WINDOWS = 3
PRODUCTION_ENDS = (2 * DAY, 7 * DAY, 35 * DAY)


@dataclass(frozen=True)
class Timeline:
    """Window ends and per-window random delays (min, max), in seconds after the install."""

    ends: tuple[float, float, float]
    delays: tuple[tuple[float, float], tuple[float, float], tuple[float, float]]
    compress: float = 1.0

    def place(self, offset: float) -> float:
        """A production-timeline offset mapped onto this timeline, window by window."""
        start = 0.0
        for index, end in enumerate(PRODUCTION_ENDS):
            if offset < end or index == WINDOWS - 1:
                share = min(max((offset - start) / (end - start), 0.0), 1.0)
                begin = self.ends[index - 1] if index else 0.0
                return begin + share * (self.ends[index] - begin)
            start = end
        raise AssertionError("unreachable")


PRODUCTION = Timeline(PRODUCTION_ENDS, ((DAY, 2 * DAY), (DAY, 6 * DAY), (DAY, 6 * DAY)))
DEVELOPER = Timeline((3 * MINUTE, 6 * MINUTE, 9 * MINUTE),
                     ((5 * MINUTE, 10 * MINUTE),) * 3)


def timeline(name: str, compress: float = 1.0) -> Timeline:
    base = DEVELOPER if name == "developer" else PRODUCTION
    return Timeline(base.ends, base.delays, compress)


def window_of(offset: float) -> int | None:
    """The conversion window (0, 1, 2) of a moment after install; None past the last."""
    if offset < 0:
        return None
    return next((index for index, end in enumerate(PRODUCTION_ENDS) if offset < end), None)


@dataclass(frozen=True)
class Update:
    """One ``updatePostbackConversionValue`` call by the app."""

    offset: float
    fine: int | None
    coarse: str | None
    lock: bool = False


@dataclass
class WindowValue:
    fine: int | None = None
    coarse: str | None = None
    updated: bool = False
    locked_at: float | None = None  # production-timeline offset of the lock


def updates(events: Iterable[AppEvent], install_time: float,
            rules: Sequence[ValueRule]) -> list[Update]:
    """At each event the last rule that holds on the history so far sets the values."""
    fired: set[str] = set()
    revenue = 0.0
    found = []
    for event in events:
        fired.add(event.name)
        revenue += event.revenue_usd or 0.0
        matched = None
        for rule in rules:
            if (rule.event is None or rule.event in fired) and (
                    rule.revenue_usd is None or revenue >= rule.revenue_usd):
                matched = rule
        if matched is not None:
            found.append(Update(event.time - install_time, matched.fine, matched.coarse,
                                matched.lock))
    return found


def window_values(calls: Iterable[Update]) -> list[WindowValue]:
    """Each window's final values: its last update, or the one that locked it."""
    values = [WindowValue() for _ in range(WINDOWS)]
    for call in calls:
        index = window_of(call.offset)
        if index is None:
            continue
        value = values[index]
        if value.locked_at is not None:
            continue  # a locked window ignores later updates
        value.fine, value.coarse, value.updated = call.fine, call.coarse, True
        if call.lock:
            value.locked_at = call.offset
    return values


def digits_for(tier: int) -> int:
    """Source-identifier digits in the first postback (later ones always carry 2)."""
    return {3: 4, 2: 3}.get(tier, 2)


def source_identifier(four_digits: str, digits: int) -> str:
    """Apple keeps the rightmost digits (``5239`` in high tiers is ``39`` in low ones)."""
    return four_digits[-digits:]


@dataclass(frozen=True)
class PostbackPlan:
    index: int  # postback-sequence-index
    did_win: bool
    tier: int
    digits: int
    fine: int | None
    coarse: str | None
    send_offset: float  # seconds after install on the run's timeline
    source_app: bool  # source-app-id / source-domain allowed
    country: bool  # country-code included


def plan_postbacks(*, tier: int, did_win: bool, values: Sequence[WindowValue],
                   line: Timeline, rng: random.Random) -> list[PostbackPlan]:
    """The postbacks one attribution sends: tier 0 and non-winning ones only the first;
    later windows only when the app updated in them, coarse and 2 digits."""
    delays = [rng.uniform(*line.delays[index]) for index in range(WINDOWS)]
    plans = []
    for index in range(WINDOWS):
        value = values[index]
        if index and (not did_win or tier == 0 or not value.updated):
            continue
        fine, coarse = _carried(index, tier, did_win, value)
        base = (line.ends[index] if value.locked_at is None
                else line.place(value.locked_at))
        plans.append(PostbackPlan(
            index=index, did_win=did_win, tier=tier,
            digits=digits_for(tier) if index == 0 else 2, fine=fine, coarse=coarse,
            send_offset=(base + delays[index]) / line.compress,
            source_app=did_win and index == 0 and tier == 3,
            country=did_win and index == 0 and tier == 3,
        ))
    return plans


def _carried(index: int, tier: int, did_win: bool, value: WindowValue
             ) -> tuple[int | None, str | None]:
    """(fine, coarse) a postback carries; fine and coarse are mutually exclusive."""
    if not did_win or tier == 0:
        return None, None
    if index == 0 and tier >= 2:
        return (value.fine if value.updated and value.fine is not None else 0), None
    return None, value.coarse if value.updated else None
