"""Group commit: many captures, one transaction, each answered only after its commit.

Leader/follower: a request thread that finds no commit in progress becomes the leader. It takes
every job queued so far, runs them in one transaction on its own connection, commits, and wakes
their threads; a thread that arrives during a commit queues and waits, and one of the waiting
threads leads the next batch. A lone request commits at once; under load the disk sees one WAL
write per batch instead of one per request. A work must only touch the connection it is given:
when a work in its batch fails, the batch is rolled back and run again with each work isolated.
Neighbouring works that name the same ``together`` function run through it in one call: the
captures of a batch go to PostgreSQL in one round trip (``CaptureInsert.together``).

Leaders of different worker processes queue on an exclusive file lock rather than on SQLite's
busy handler, whose sleeping back-off would stall a batch for milliseconds at a time.

``run_now`` is the event loop's way in: it commits on the calling thread when no commit of this
process is in progress and the file lock comes free within a few milliseconds (another
worker's group commit takes well under one). Otherwise it declines, so an event loop never
blocks behind a long transaction such as clearing a million captures.
"""

from __future__ import annotations

import fcntl
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

MAX_BATCH = 512
LOCK_WAIT = 0.005  # seconds run_now waits for another process's group commit (< 1 ms)
LOCK_POLL = 0.0001  # a sleep between tries; it lets the other process have the CPU
Work = Callable[[sqlite3.Connection], Any]


@dataclass
class Outcome:
    """What one unit of work came to: its result, or the error that rolled it back."""

    result: Any = None
    error: BaseException | None = None


@dataclass
class _Job:
    works: list[Work]  # several when a caller hands over a group (the event loop's captures)
    outcomes: list[Outcome] = field(default_factory=list)
    wake: threading.Event | None = None  # only a job that has to wait needs one
    done: bool = False
    lead: bool = False  # handed the leadership: commit the queue, then pass it on


def in_place(work: Work) -> bool:
    """Whether ``work`` only fills in rows that exist (``IN_PLACE`` set on it): a batch of
    such works says nothing of the disk's room when it commits (a full disk can still take
    an UPDATE that needs no new page), so it does not report success (``on_commit``)."""
    return bool(getattr(work, IN_PLACE, False))


IN_PLACE = "in_place"
TOGETHER = "together"  # a work's function that runs a list of such works at once (_run_all)


def closed_error() -> sqlite3.ProgrammingError:
    """What a write after ``close`` fails with (sqlite3's own error for a closed database);
    a new one each time, so no two threads share its traceback."""
    return sqlite3.ProgrammingError("Cannot operate on a closed database.")


class GroupWriter:
    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        lock_path: str | None,
        on_commit: Callable[[BaseException | None], None] = lambda error: None,
        *, on_loop: bool = True,
    ) -> None:
        self._connect = connect
        self._on_loop = on_loop  # whether run_now may commit on the caller's event loop
        self._on_commit = on_commit
        self._lock_path = lock_path
        self._queue: list[_Job] = []
        self._lock = threading.Lock()
        self._leading = False
        self._lock_handle: IO[bytes] | None = None
        self._closed = False

    def run(self, work: Work) -> Any:
        """Run ``work`` in a group transaction; return its result once committed."""
        outcome = self.run_many([work])[0]
        if outcome.error is not None:
            raise outcome.error
        return outcome.result

    def run_many(self, works: list[Work]) -> list[Outcome]:
        """Run each of ``works`` in the next group transaction; their outcomes once committed.

        A work that raises is rolled back alone. Each waiting thread is woken once: when its
        job is committed, or when it is handed the leadership (waking every waiter on each
        commit would cost O(waiters) per commit).
        """
        if self._closed:
            return [Outcome(error=closed_error()) for _ in works]
        job = _Job(list(works), [Outcome() for _ in works])
        with self._lock:
            self._queue.append(job)
            if not self._leading:
                self._leading = job.lead = True
            else:
                job.wake = threading.Event()
        while not job.done:
            if not job.lead:
                assert job.wake is not None
                job.wake.wait()
                job.wake.clear()
                continue
            self._lead_once()
        return job.outcomes

    def run_now(self, works: list[Work]) -> list[Outcome] | None:
        """Run ``works`` in one transaction now, or None if that would mean a long wait.

        None when a commit of this process is in progress, or another process holds the file
        lock for longer than ``LOCK_WAIT``; the caller then hands the works to ``run_many`` on
        a thread that may block.
        """
        if self._closed:
            return [Outcome(error=closed_error()) for _ in works]
        if not self._on_loop:
            return None
        lock_file = self._lock_file()
        deadline = time.monotonic() + LOCK_WAIT
        while not self._lead_without_waiting(lock_file):
            if self._leading or time.monotonic() > deadline:
                return None
            time.sleep(LOCK_POLL)
        job = _Job(list(works), [Outcome() for _ in works])
        self._commit_locked([job], lock_file)
        return job.outcomes

    def _lead_without_waiting(self, lock_file: IO[bytes] | None) -> bool:
        with self._lock:
            if self._leading:
                return False
            if lock_file is not None:
                try:
                    fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return False
            self._leading = True  # threads that arrive meanwhile queue behind this commit
            return True

    def _lead_once(self) -> None:
        # The batch is taken only once this process holds the file lock: captures that arrive
        # while another process commits join this commit instead of waiting for the next one.
        lock_file = self._lock_file()
        if lock_file is not None:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
        with self._lock:
            batch = self._queue[:MAX_BATCH]
            del self._queue[:MAX_BATCH]
        self._commit_locked(batch, lock_file)

    def _commit_locked(self, batch: list[_Job], lock_file: IO[bytes] | None) -> None:
        """Commit ``batch`` as the leader holding the file lock; then release both."""
        error: BaseException | None = None
        try:
            error = self._commit(self._connect(), batch)
        except Exception as exc:  # the connection could not be opened: every job fails
            error = exc
            for job in batch:
                for outcome in job.outcomes:
                    outcome.error = outcome.error or exc
        finally:
            if lock_file is not None:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
            self._hand_over(batch)
        if error is not None or not all(in_place(work) for job in batch for work in job.works):
            self._on_commit(error)

    def _hand_over(self, batch: list[_Job]) -> None:
        """Mark the batch done, wake its threads, and pass the leadership to the next job."""
        with self._lock:
            successor = self._queue[0] if self._queue else None
            if successor is None:
                self._leading = False
            for item in batch:
                item.lead = False
                item.done = True
            if successor is not None:
                successor.lead = True
        for item in batch:
            if item.wake is not None:
                item.wake.set()
        if successor is not None and successor.wake is not None:
            successor.wake.set()

    def _lock_file(self) -> IO[bytes] | None:
        # One handle per process is enough: within a process only the leader takes the lock.
        # Opened once, under the lock: a loop's run_now may ask for it while a thread leads.
        if self._lock_path is not None and self._lock_handle is None:
            with self._lock:
                if self._lock_handle is None:
                    self._lock_handle = open(self._lock_path, "a+b")  # noqa: SIM115 (close())
        return self._lock_handle

    def close(self) -> None:
        self._closed = True  # a thread that writes after this (a deriver) is told, not served
        if self._lock_handle is not None:
            self._lock_handle.close()
            self._lock_handle = None

    @staticmethod
    def _commit(conn: sqlite3.Connection, batch: list[_Job]) -> BaseException | None:
        """Run and commit the batch; answer the error that sank the whole transaction, if any
        (one work failing alone among others is that work's outcome, not the batch's)."""
        pairs = [pair for job in batch for pair in zip(job.works, job.outcomes, strict=True)]
        try:
            # Optimistic: one transaction, no savepoints (they cost two statements per work).
            # Works only touch the connection, so after a failure they can all run again,
            # each in its own savepoint, to keep the failing one from sinking the others.
            conn.execute("BEGIN IMMEDIATE")
            try:
                _run_all(conn, pairs)
            except Exception as exc:
                conn.execute("ROLLBACK")
                if len(pairs) == 1:
                    pairs[0][1].error = exc
                    return exc
                conn.execute("BEGIN IMMEDIATE")
                _isolated(conn, pairs)
            conn.execute("COMMIT")
        except Exception as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for _, outcome in pairs:
                outcome.error = outcome.error or exc
                outcome.result = None
            return exc
        return None


def _run_all(conn: sqlite3.Connection, pairs: list[tuple[Work, Outcome]]) -> None:
    """Run the works in order; neighbours that name the same ``together`` function go through
    it in one call (a group's captures: one PostgreSQL round trip, ``CaptureInsert.together``).
    """
    start = 0
    while start < len(pairs):
        together = getattr(pairs[start][0], TOGETHER, None)
        end = start + 1
        while (together is not None and end < len(pairs)
               and getattr(pairs[end][0], TOGETHER, None) is together):
            end += 1
        if together is None or end - start == 1:
            pairs[start][1].result = pairs[start][0](conn)
        else:
            run = pairs[start:end]
            results = together(conn, [work for work, _ in run])
            for (_, outcome), result in zip(run, results, strict=True):
                outcome.result = result
        start = end


def _isolated(conn: sqlite3.Connection, pairs: list[tuple[Work, Outcome]]) -> None:
    """Each work in its own savepoint: one that raises is rolled back alone."""
    for work, outcome in pairs:
        outcome.result = None
        conn.execute("SAVEPOINT job")
        try:
            outcome.result = work(conn)
            conn.execute("RELEASE job")
        except Exception as exc:  # one bad job must not sink its batch
            conn.execute("ROLLBACK TO job")
            conn.execute("RELEASE job")
            outcome.error = exc
