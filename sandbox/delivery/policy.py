"""The retry policy: which outcomes are retried, and how long to wait before the next attempt.

Retried: transport failures (timeouts, refused or reset connections, garbled answers) and the
statuses in ``on_status`` (default 408, 429 and every 5xx). Other answers are final: 2xx is
delivered, anything else failed. The wait grows ``base``, ``2*base``, ``4*base``... up to
``max`` (``fixed``: always ``base``), or follows an explicit ``schedule`` (Singular's 1, 5, 15,
30, 60 minutes), each scaled by a random factor in ``1 +/- jitter``. ``statuses=False`` makes
every answer final (Branch retries timeouts only). A ``Retry-After`` answer (seconds or an
HTTP date) replaces the computed wait.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

from sandbox.scenarios.model import RetryPolicy

RETRY_AFTER_CAP = 3600.0  # a server may not park a delivery for longer than an hour
DEFAULT_RETRY_STATUSES = frozenset({408, 429})
NOT_RETRIED_ERRORS = frozenset({"request"})  # our own bad request: sending again cannot help


@dataclass(frozen=True)
class Policy:
    attempts: int = 3
    backoff: str = "exponential"  # "exponential" | "fixed"
    base: float = 1.0
    max: float = 60.0
    jitter: float = 0.1
    on_status: frozenset[int] = frozenset()
    statuses: bool = True  # False: answers are final, only transport failures are retried
    schedule: tuple[float, ...] = ()  # explicit waits before each retry (the last repeats)

    @classmethod
    def from_scenario(cls, retry: RetryPolicy) -> Policy:
        return cls(attempts=retry.attempts, backoff=retry.backoff, base=retry.base,
                   max=retry.max, jitter=retry.jitter, on_status=frozenset(retry.on_status),
                   statuses=retry.statuses, schedule=retry.schedule)

    def retries_status(self, status: int) -> bool:
        if not self.statuses:
            return False
        if self.on_status:
            return status in self.on_status
        return status in DEFAULT_RETRY_STATUSES or 500 <= status <= 599

    def retries(self, status: int | None, error_kind: str | None) -> bool:
        """Whether an attempt that ended so is worth another try (attempts left aside)."""
        if status is None:
            return error_kind not in NOT_RETRIED_ERRORS
        return self.retries_status(status)

    def nominal_wait(self, failed_attempts: int) -> float:
        """The wait after the ``failed_attempts``-th failure, before jitter."""
        if self.schedule:
            return self.schedule[min(failed_attempts, len(self.schedule)) - 1]
        if self.backoff == "fixed":
            return min(self.base, self.max)
        exponent = min(failed_attempts - 1, 62)
        return float(min(self.base * (2**exponent), self.max))

    def wait(
        self, failed_attempts: int, rng: random.Random, *, retry_after: float | None = None
    ) -> float:
        """Seconds to wait before the next attempt."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), RETRY_AFTER_CAP)
        nominal = self.nominal_wait(failed_attempts)
        if self.jitter <= 0:
            return nominal
        return nominal * (1 + rng.uniform(-self.jitter, self.jitter))

    def jitter_bounds(self, failed_attempts: int) -> tuple[float, float]:
        nominal = self.nominal_wait(failed_attempts)
        return nominal * (1 - self.jitter), nominal * (1 + self.jitter)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delay-seconds or an HTTP date), or None
    when it is absent or unreadable. A date in the past means "now"."""
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(int(text))
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, (moment - now).total_seconds())
