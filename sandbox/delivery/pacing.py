"""When each postback goes out: as fast as possible (the default), or on the scenario's own
timeline, in real time (``speed=1``) or scaled (``speed=60``: a simulated hour per minute).

Either way the postbacks carry their simulated timestamps; only the sending moment differs.
Sleeping goes through the clock: the system clock sleeps on the event loop (``asyncio.sleep``,
the same wait without blocking other deliveries); any other clock, such as the tests'
``FakeClock``, is slept on directly, which records the wait and returns at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Protocol, TypeVar

from sandbox.clock import Clock, SystemClock
from sandbox.errors import SandboxError

MAX_SPEED = 1e9


class Timed(Protocol):
    @property
    def send_at(self) -> float: ...  # simulated unix seconds


T = TypeVar("T", bound=Timed)


async def sleep(clock: Clock, seconds: float) -> None:
    if seconds <= 0:
        return
    if isinstance(clock, SystemClock):
        await asyncio.sleep(seconds)
    else:
        clock.sleep(seconds)
        await asyncio.sleep(0)


def check_speed(speed: float | None) -> float | None:
    if speed is not None and not 0 < speed <= MAX_SPEED:
        raise SandboxError(f"speed: expected a factor above 0 (1 is real time, 60 is a minute "
                           f"per simulated hour), got {speed:g}", code="bad_speed",
                           field="speed")
    return speed


class Pacer:
    """``speed`` None: no waiting. Else postback ``p`` is due ``(p.send_at - first) / speed``
    seconds after the first one went out."""

    def __init__(self, clock: Clock, speed: float | None) -> None:
        self.clock = clock
        self.speed = check_speed(speed)
        self._origin: tuple[float, float] | None = None  # (first send_at, clock at start)

    @property
    def mode(self) -> str:
        return "fast" if self.speed is None else "paced"

    def order(self, items: Iterable[T]) -> Iterable[T]:
        """Paced runs go in timeline order, as a list (holding the whole run in memory: they
        are long by nature, so small); fast runs stream in the order given."""
        if self.speed is None:
            return items
        return sorted(items, key=lambda item: item.send_at)

    async def wait_for(self, item: Timed) -> None:
        if self.speed is None:
            return
        if self._origin is None:
            self._origin = (item.send_at, self.clock.monotonic())
        first, started = self._origin
        due = started + (item.send_at - first) / self.speed
        await sleep(self.clock, due - self.clock.monotonic())
