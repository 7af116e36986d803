"""The delivery log: attempts are queued as they finish and written many per transaction, so a
fast delivery loop never pays one commit per attempt.

The engine flushes every ``FLUSH_SECONDS`` from its own event loop. A writer thread was tried
first and measured worse: SQLite releases the GIL around every row it steps, so a thread
writing while the loop sends ping-pongs the GIL thousands of times a second, and at 2,000
postbacks/s that cost more CPU than the SQL itself. Order is kept (one queue), so a delivery's
row exists before its later attempts update it.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from sandbox.store import Store
from sandbox.store.deliveries import AttemptEvent

FLUSH_SECONDS = 0.05
MAX_BATCH = 5000


class DeliveryLog:
    def __init__(self, store: Store, *, run_id: int | None = None) -> None:
        self.store = store
        self.run_id = run_id
        self._events: list[AttemptEvent] = []
        self._forgotten: list[Hashable] = []
        self._ids: dict[Hashable, int] = {}
        self._summary: Mapping[str, Any] | None = None

    def record(self, event: AttemptEvent) -> None:
        self._events.append(event)

    def record_summary(self, summary: Mapping[str, Any]) -> None:
        """The run's live summary, written with the next flush (only the newest is kept)."""
        self._summary = summary

    def forget(self, key: Hashable) -> None:
        """A delivery is final: once written, its key will not be seen again."""
        self._forgotten.append(key)

    @property
    def pending(self) -> int:
        return len(self._events)

    def flush(self) -> None:
        """Write everything queued so far (one transaction per ``MAX_BATCH`` attempts)."""
        while self._events:
            batch, self._events = self._events[:MAX_BATCH], self._events[MAX_BATCH:]
            self._ids.update(self.store.deliveries.write_events(batch, self._ids))
        for key in self._forgotten:
            self._ids.pop(key, None)
        self._forgotten.clear()
        summary, self._summary = self._summary, None
        if summary is not None and self.run_id is not None:
            self.store.runs.update_summary(self.run_id, summary)
