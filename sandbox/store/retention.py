"""Optional retention: prune the oldest captures past a count or an age, and count the pruned.

Pruning is cheap and rare: the receiver calls ``note_capture`` after each capture, which only
bumps a counter; every ``every`` captures, or when ``interval`` seconds have passed since the
last prune, one indexed DELETE runs through the writer (so it serialises with the inserts).
The number pruned is kept in the ``counters`` table, shared by every worker process.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sandbox.clock import Clock, iso_utc

if TYPE_CHECKING:
    from sandbox.store import Store

PRUNED_COUNTER = "pruned_captures"


@dataclass(frozen=True)
class RetentionPolicy:
    max_postbacks: int = 0  # 0 keeps every capture
    max_age_seconds: float | None = None
    every: int = 200  # captures between prunes
    interval: float = 60.0  # seconds between prunes even without traffic

    @property
    def enabled(self) -> bool:
        return self.max_postbacks > 0 or self.max_age_seconds is not None


def pruned_count(store: Store) -> int:
    row = store.connection().execute(
        "SELECT value FROM counters WHERE name = ?", (PRUNED_COUNTER,)
    ).fetchone()
    return int(row[0]) if row else 0


def prune(store: Store, policy: RetentionPolicy, clock: Clock) -> int:
    """Delete what the policy no longer keeps; answer how many captures went."""
    if not policy.enabled:
        return 0
    cutoff = None
    if policy.max_age_seconds is not None:
        cutoff = iso_utc(clock.now() - timedelta(seconds=policy.max_age_seconds))

    def write(conn: sqlite3.Connection) -> int:
        deleted = 0
        if cutoff is not None:
            deleted += conn.execute(
                "DELETE FROM captures WHERE received_at < ?", (cutoff,)
            ).rowcount
        if policy.max_postbacks > 0:
            deleted += conn.execute(
                "DELETE FROM captures WHERE id <= (SELECT id FROM captures "
                "ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (policy.max_postbacks,),
            ).rowcount
        if deleted:
            conn.execute(
                "INSERT INTO counters (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = counters.value + excluded.value",
                (PRUNED_COUNTER, deleted),
            )
        return deleted

    return int(store.writer.run(write))


class Retention:
    """Decides when to prune; one per process (the receiver's)."""

    def __init__(self, store: Store, policy: RetentionPolicy, clock: Clock) -> None:
        self.store = store
        self.policy = policy
        self.clock = clock
        self._since = 0
        self._last = clock.monotonic()
        self._lock = threading.Lock()

    def note_capture(self) -> int:
        """Count one capture; prune when due. Answer how many were pruned now."""
        if not self.policy.enabled:
            return 0
        with self._lock:
            self._since += 1
            now = self.clock.monotonic()
            due = self._since >= self.policy.every or now - self._last >= self.policy.interval
            if not due:
                return 0
            self._since, self._last = 0, now
        return prune(self.store, self.policy, self.clock)
