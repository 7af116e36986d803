"""Random draws the generator needs, all from an explicit ``random.Random`` (never the global).

CTIT mixture, retention curve and purchase sizes: see docs/scenarios.md.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Generic, TypeVar

T = TypeVar("T")

CTIT_FLOOR = 15.0
CTIT_CAP = 30 * 86400.0
CTIT_FAST_SHARE = 0.72
CTIT_FAST_MEDIAN, CTIT_FAST_SIGMA = 180.0, 1.0
CTIT_SLOW_MEDIAN, CTIT_SLOW_SIGMA = 6 * 3600.0, 1.5
SPAM_SPAN = 7 * 86400.0


@dataclass(frozen=True)
class Weighted(Generic[T]):
    """Pick items by relative weight with one ``random()`` call and a bisect."""

    items: tuple[T, ...]
    cumulative: tuple[float, ...]

    @classmethod
    def from_mapping(cls, weights: Mapping[T, float]) -> Weighted[T]:
        items = tuple(key for key, weight in weights.items() if weight > 0)
        if not items:
            raise ValueError("at least one weight must be above zero")
        totals = list(accumulate(float(weights[key]) for key in items))
        return cls(items, tuple(total / totals[-1] for total in totals))

    @classmethod
    def uniform(cls, items: Sequence[T]) -> Weighted[T]:
        return cls.from_mapping(dict.fromkeys(items, 1.0))

    def pick(self, rng: random.Random) -> T:
        index = bisect_right(self.cumulative, rng.random())
        items = self.items
        return items[index] if index < len(items) else items[-1]

    def share(self, item: T) -> float:
        if item not in self.items:
            return 0.0
        index = self.items.index(item)
        return self.cumulative[index] - (self.cumulative[index - 1] if index else 0.0)


def lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(sigma * rng.gauss(0.0, 1.0)) if sigma else median


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method; fine for the small means used here."""
    if mean <= 0:
        return 0
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def geometric_gap(rng: random.Random, rate: float) -> int:
    """Trials skipped before the next success of a Bernoulli(rate) stream (0 = the next one)."""
    if rate >= 1.0:
        return 0
    if rate <= 0.0:
        raise ValueError("rate must be above zero")
    return int(math.log(1.0 - rng.random()) / math.log(1.0 - rate))


def ctit_seconds(rng: random.Random, profile: str) -> float:
    """Click-to-install seconds for a profile: normal, click_injection or click_spam."""
    if profile == "click_injection":
        return rng.uniform(1.0, 8.0)
    if profile == "click_spam":
        return rng.uniform(CTIT_FLOOR, SPAM_SPAN)
    if rng.random() < CTIT_FAST_SHARE:
        seconds = lognormal(rng, CTIT_FAST_MEDIAN, CTIT_FAST_SIGMA)
    else:
        seconds = lognormal(rng, CTIT_SLOW_MEDIAN, CTIT_SLOW_SIGMA)
    return min(max(seconds, CTIT_FLOOR), CTIT_CAP)


def retention_curve(d1: float, decay: float, horizon_days: int) -> tuple[float, ...]:
    """R(d) = d1 * d^-decay for d = 0..horizon (R(0) = 1: everyone opens on install day)."""
    return (1.0, *(min(1.0, d1 * day ** -decay) for day in range(1, horizon_days + 1)))
