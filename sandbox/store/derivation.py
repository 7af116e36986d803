"""Derivation's bookkeeping: which captures are still raw, who sweeps them, and reads that
wait until what they should see is derived.

A capture committed raw on the request path has ``derived = 0`` (a partial index keeps the
raw ones cheap to find) until its process's deriver writes what it derived. Captures no
process holds any more are swept by one process at a time, the holder of the lease row; a
holder that dies (its process gone, or its lease expired) is replaced by the next one that
asks. ``settle`` is what every capture read calls first: it waits until every capture
committed before the read began is derived.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sandbox.compact_json import compact_json
from sandbox.errors import SandboxError
from sandbox.store.captures import READ, stored_capture
from sandbox.store.records import KEY_NAMES, CaptureRecord, StoredCapture
from sandbox.store.writer import IN_PLACE, Work

if TYPE_CHECKING:
    from sandbox.store import Store

LEASE_SECONDS = 5.0
SETTLE_SECONDS = 10.0  # how long a read waits for the deriver before it says it lags
SWEEP_AFTER = 1.0  # how long a read waits before it asks for captures no process holds
_POLL_FIRST, _POLL_MOST = 0.0005, 0.02

_UPDATE = (
    "UPDATE captures SET query_json = ?, decoded_body = ?, form_json = ?, json_body = ?, "
    "body_note = ?, content_type = ?, content_encoding = ?, lint_json = ?, "
    f"{', '.join(f'{name} = ?' for name in KEY_NAMES)}, derived = 1 "
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
        *(record.keys.get(name) for name in KEY_NAMES), capture_id,
    )


def lease_holder(token: str) -> str:
    """A holder's name: "host:pid:token" (a pid says something on its own host only)."""
    return f"{socket.gethostname()}:{os.getpid()}:{token}"


def _pid_alive(holder: str) -> bool:
    """Whether the holder's process still runs; one on another host (nodes sharing a
    PostgreSQL database) is taken for alive, and its lease runs out if it is not."""
    host, _, rest = holder.partition(":")
    if host != socket.gethostname():
        return True
    pid = rest.split(":", 1)[0]
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
        self.sweep_after = SWEEP_AFTER
        # Called when a read has to wait (the process's deriver writes what it holds now),
        # and when it has waited SWEEP_AFTER (captures left raw by a process that died get
        # derived): see sandbox/capture/deriver.py.
        self.on_wait: Callable[[], None] = lambda: None
        self.on_stale: Callable[[], None] = lambda: None

    def first_underived(self) -> int | None:
        row = self._store.connection().execute(
            "SELECT min(id) FROM captures WHERE derived = 0").fetchone()
        return None if row[0] is None else int(row[0])

    def lag(self) -> int:
        """How many captures are still raw."""
        row = self._store.connection().execute(
            "SELECT count(*) FROM captures WHERE derived = 0").fetchone()
        return int(row[0])

    def underived(self, limit: int, up_to: int) -> list[StoredCapture]:
        """The oldest raw captures up to id ``up_to``, oldest first."""
        cursor = self._store.connection().cursor()
        cursor.row_factory = stored_capture
        return cursor.execute(
            f"SELECT {READ} FROM captures WHERE derived = 0 AND id <= ? ORDER BY id LIMIT ?",
            (up_to, limit),
        ).fetchall()

    def write(self, derived: Sequence[tuple[int, CaptureRecord]]) -> int:
        """Fill in what was derived, in one group commit; how many rows were written."""
        return int(self._store.writer.run(self.writing(derived)))

    @staticmethod
    def writing(derived: Sequence[tuple[int, CaptureRecord]]) -> Work:
        """The group-commit work that fills in what was derived; a row derived meanwhile (or
        deleted) is left alone. It answers how many rows it wrote."""
        rows = [_derived_values(capture_id, record) for capture_id, record in derived]

        def work(conn: sqlite3.Connection) -> int:
            return int(conn.executemany(_UPDATE, rows).rowcount)

        setattr(work, IN_PLACE, True)  # its success does not mean captures fit again
        return work

    def hold_lease(self, holder: str) -> bool:
        """Take or renew the sweep lease for ``holder`` (``lease_holder``): whether it is held.
        Real time: a lease outlives no process, whatever the sandbox clock says."""
        now = time.time()

        def work(conn: sqlite3.Connection) -> bool:
            current = conn.execute("SELECT holder, expires FROM deriver WHERE id = 1").fetchone()
            if current is None:
                return False
            other, until = current[0], float(current[1])
            if other not in (None, holder) and until > now and _pid_alive(other):
                return False
            conn.execute("UPDATE deriver SET holder = ?, expires = ? WHERE id = 1",
                         (holder, now + LEASE_SECONDS))
            return True

        return bool(self._store.writer.run(work))

    def release_lease(self, holder: str) -> None:
        def work(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE deriver SET holder = NULL, expires = 0 "
                         "WHERE id = 1 AND holder = ?", (holder,))

        self._store.writer.run(work)

    def settle(self) -> int:
        """Wait until every capture committed before this call is derived; the newest of
        them (a read shows no capture above it: one committed meanwhile may still be raw).

        Raises ``DeriverLagging`` after ``settle_seconds``. Real time, not the sandbox clock:
        the wait is for real work on another thread or process.
        """
        target = self._store.captures.last_id()
        first = self.first_underived()
        if first is None or first > target:
            return target
        self.on_wait()
        started = time.monotonic()
        swept = False
        pause = _POLL_FIRST
        while first is not None and first <= target:
            waited = time.monotonic() - started
            if waited > self.sweep_after and not swept:
                self.on_stale()
                swept = True
            if waited > self.settle_seconds:
                raise DeriverLagging(
                    f"the deriver is {self.lag()} captures behind (capture {first} is not "
                    f"derived after {self.settle_seconds:g} s); the read was not answered "
                    "so that it never shows a capture half-read: try again",
                    code="deriver_lagging", status=503,
                )
            time.sleep(pause)
            pause = min(pause * 2, _POLL_MOST)
            first = self.first_underived()
        return target
