"""Time goes through a clock object so retries, windows and waits can be tested without waiting."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...

    async def pause(self, seconds: float) -> None:
        """``sleep`` for code on an event loop: the loop goes on serving meanwhile."""


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    async def pause(self, seconds: float) -> None:
        if seconds > 0:
            await asyncio.sleep(seconds)


class FakeClock:
    """A clock that only moves when slept on or advanced; sleeping returns at once."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._mono = 0.0
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        with self._lock:
            return self._now + timedelta(seconds=self._mono)

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self._mono += max(0.0, seconds)

    async def pause(self, seconds: float) -> None:
        self.sleep(seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._mono += seconds


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_last_second: tuple[int, str] = (-1, "")  # one tuple, so threads never see half an update


def iso_utc(moment: datetime) -> str:
    """ISO-8601 UTC with microseconds and a Z suffix, the one timestamp format we store."""
    # Every capture stamps its time: the text up to the second is made once per second.
    global _last_second
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    since_epoch = moment - _EPOCH  # exact, unlike a float timestamp
    second = since_epoch.days * 86_400 + since_epoch.seconds
    cached, text = _last_second
    if second != cached:
        text = moment.replace(microsecond=0, tzinfo=None).isoformat()
        _last_second = (second, text)
    return f"{text}.{moment.microsecond:06d}Z"
