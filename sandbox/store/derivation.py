"""Derivation's bookkeeping: which captures are still raw, who derives them, and reads that
wait until what they should see is derived.

A capture committed raw on the request path has ``derived = 0`` (a partial index keeps the
raw ones cheap to find). One deriver at a time holds the lease row, so several worker
processes never derive the same captures; a holder that dies (its process gone, or its lease
expired) is replaced by the next one that asks. ``settle`` is what every capture read calls
first: it waits until every capture committed before the read began is derived.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sandbox.compact_json import compact_json
from sandbox.errors import SandboxError
from sandbox.store.captures import READ, stored_capture
from sandbox.store.records import KEY_NAMES, CaptureRecord, StoredCapture

if TYPE_CHECKING:
    from sandbox.store import Store

LEASE_SECONDS = 5.0
SETTLE_SECONDS = 10.0  # how long a read waits for the deriver before it says it lags
_POLL_FIRST, _POLL_MOST = 0.0005, 0.02

_UPDATE = (
    "UPDATE captures SET query_json = ?, decoded_body = ?, form_json = ?, json_body = ?, "
    "body_note = ?, content_type = ?, content_encoding = ?, lint_json = ?, "
    f"{', '.join(f'{name} = ?' for name in KEY_NAMES)}, "
    # An enforced verdict was decided (and written) on the request path: it stays.
    "verdict = coalesce(verdict, ?), verdict_detail_json = coalesce(verdict_detail_json, ?), "
    "replay_key = coalesce(replay_key, ?), derived = 1 "
    "WHERE id = ? AND derived = 0"
)


class DeriverLagging(SandboxError):
    """A read waited ``SETTLE_SECONDS`` and captures it should see are still raw."""


def _derived_values(capture_id: int, record: CaptureRecord) -> tuple[Any, ...]:
    return (
        compact_json(record.query),
        None if record.decoded_body is None else bytearray(record.decoded_body),
        None if record.form is None else compact_json(record.form), record.json_text,
        record.body_note, record.content_type, record.content_encoding,
        compact_json(record.lint) if record.lint else None,
        *(record.keys.get(name) for name in KEY_NAMES),
        record.verdict,
        None if record.verdict_detail is None else compact_json(record.verdict_detail),
        record.replay_key, capture_id,
    )


def _pid_alive(holder: str) -> bool:
    pid = holder.split(":", 1)[0]
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


class DerivationRepository:
    def __init__(self, store: Store) -> None:
        self._store = store
        self.settle_seconds = SETTLE_SECONDS
        # Called when a read has to wait: the process's deriver (sandbox/capture/deriver.py)
        # starts if it is not running, so captures left raw by a dead process get derived.
        self.on_wait: Callable[[], None] = lambda: None

    def first_underived(self) -> int | None:
        row = self._store.connection().execute(
            "SELECT min(id) FROM captures WHERE derived = 0").fetchone()
        return None if row[0] is None else int(row[0])

    def lag(self) -> int:
        """How many captures are still raw."""
        row = self._store.connection().execute(
            "SELECT count(*) FROM captures WHERE derived = 0").fetchone()
        return int(row[0])

    def underived(self, limit: int) -> list[StoredCapture]:
        """The oldest raw captures, oldest first."""
        cursor = self._store.connection().cursor()
        cursor.row_factory = stored_capture
        return cursor.execute(
            f"SELECT {READ} FROM captures WHERE derived = 0 ORDER BY id LIMIT ?", (limit,)
        ).fetchall()

    def write(self, derived: Sequence[tuple[int, CaptureRecord]]) -> None:
        """Fill in what was derived, in one group commit; a row derived meanwhile (or
        deleted) is left alone."""
        rows = [_derived_values(capture_id, record) for capture_id, record in derived]

        def work(conn: sqlite3.Connection) -> None:
            conn.executemany(_UPDATE, rows)

        self._store.writer.run(work)

    def hold_lease(self, holder: str, now: float) -> tuple[bool, float]:
        """Take or renew the deriver lease for ``holder`` ("pid:token"): whether it is held,
        and until when (this holder's new expiry, or the other holder's)."""
        expires = now + LEASE_SECONDS

        def work(conn: sqlite3.Connection) -> tuple[bool, float]:
            current = conn.execute("SELECT holder, expires FROM deriver WHERE id = 1").fetchone()
            if current is None:
                return False, now
            other, until = current[0], float(current[1])
            if other not in (None, holder) and until > now and _pid_alive(other):
                return False, until
            conn.execute("UPDATE deriver SET holder = ?, expires = ? WHERE id = 1",
                         (holder, expires))
            return True, expires

        held, until = self._store.writer.run(work)
        return bool(held), float(until)

    def release_lease(self, holder: str) -> None:
        def work(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE deriver SET holder = NULL, expires = 0 "
                         "WHERE id = 1 AND holder = ?", (holder,))

        self._store.writer.run(work)

    def settle(self) -> None:
        """Wait until every capture committed before this call is derived.

        Raises ``DeriverLagging`` after ``settle_seconds``. Real time, not the sandbox clock:
        the wait is for real work on another thread or process.
        """
        first = self.first_underived()
        if first is None:
            return
        target = self._store.captures.last_id()
        self.on_wait()
        deadline = time.monotonic() + self.settle_seconds
        pause = _POLL_FIRST
        while first is not None and first <= target:
            if time.monotonic() > deadline:
                raise DeriverLagging(
                    f"the deriver is {self.lag()} captures behind (capture {first} is not "
                    f"derived after {self.settle_seconds:g} s); the read was not answered "
                    "so that it never shows a capture half-read: try again",
                    code="deriver_lagging", status=503,
                )
            time.sleep(pause)
            pause = min(pause * 2, _POLL_MOST)
            first = self.first_underived()
