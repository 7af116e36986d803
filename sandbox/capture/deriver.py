"""The deriver: each server process derives the captures it took, after answering them.

The request path commits a capture raw, answers, and hands the request it still holds in
memory to its process's deriver (``hand``). The deriver derives what was handed in batches
(``derive.py``, pure) and writes each batch in one group commit, each row only while it is
still raw. Nothing is read back from the store, and each worker derives what it took, so
the work is spread like the connections are.

Where the batches run:

- **On the capture loop** (``run_on``, the served path): a batch is derived between the
  loop's requests and its write joins the loop's next group commit. Measured against a
  deriver thread (``bench/bench_capture.py --baseline``), the thread cost GET x0.90 and POST
  x0.86 requests/s at the same CPU per request: a thread busy deriving holds the GIL for
  the loop's whole switch interval each time the loop comes back from the network.
- **On its own thread** (no loop: a desk used without the served app, as some tests do):
  it gathers what was handed for ``gather`` seconds, so a batch carries many.

What no process holds any more (its process was killed before its deriver wrote, or it
stopped) is still raw in the store; a sweep derives it from the stored parts. A sweep runs
when a deriver starts, and when a read has waited ``SWEEP_AFTER`` seconds for captures that
are still raw. Only the process holding the store's sweep lease sweeps, so two processes
never sweep the same rows; a row the sweep and its own deriver both derive (a deriver that
lagged by more than ``SWEEP_AFTER``) is written once, by whichever comes first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
import uuid
from collections import deque

from sandbox.capture.derive import DeriveLimits, RawCapture, derive, inbound, not_derived
from sandbox.store import Store
from sandbox.store.derivation import lease_holder
from sandbox.store.loop_commit import LoopCommitter
from sandbox.store.records import CaptureRecord, StoreError

log = logging.getLogger("sandbox.capture")
BATCH = 512
LOOP_BATCH = 64  # at most this much derivation (a few ms) between two of the loop's requests
# How long handed captures wait before a batch is derived: one commit per batch, not per
# capture. The thread gathers 10 ms (a read that waits for derivation hurries it), the loop
# 5 ms. SANDBOX_DERIVE_DELAY holds both back (seconds), to see or test the raw-first state;
# reads then wait for it, up to their limit.
DELAY = float(os.environ.get("SANDBOX_DERIVE_DELAY", "0"))
GATHER_SECONDS = DELAY or 0.01
FAILED_PAUSE = 0.5  # after a store error (a locked or full disk), before trying again
IDLE_EXIT_SECONDS = 2.0  # a thread without work for this long ends (the next hand starts one)
STOP_SECONDS = 5.0  # how long stopping may take to write what is still handed


class Deriver:
    def __init__(self, store: Store, limits: DeriveLimits, *, batch: int = BATCH,
                 gather: float = GATHER_SECONDS, loop_delay: float = DELAY or 0.005) -> None:
        self.store = store
        self.limits = limits
        self.batch = batch
        self.gather = gather
        self.loop_delay = loop_delay
        self.holder = lease_holder(uuid.uuid4().hex[:12])
        self._handed: deque[RawCapture] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._commits: LoopCommitter | None = None
        self._loop_due = False  # a batch is scheduled on the loop
        self._writes: set[asyncio.Task[None]] = set()
        self._work = threading.Event()  # something was handed, or a sweep asked for
        self._hurry = threading.Event()  # a read waits: derive now, do not gather
        self._sweep = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def run_on(self, loop: asyncio.AbstractEventLoop, commits: LoopCommitter) -> None:
        """Derive on ``loop`` from now on, writing through its group commit."""
        self._loop, self._commits = loop, commits

    def hand(self, capture: RawCapture) -> None:
        """A capture was committed raw: derive it with the next batch."""
        self._handed.append(capture)
        if self._loop is not None:
            if not self._loop_due:
                self._loop_due = True
                self._loop.call_soon_threadsafe(self._schedule_on_loop)
        elif not self._work.is_set():
            self._work.set()
            if self._thread is None:
                self._start()

    def hurry(self) -> None:
        """A read waits for derivation: write what is handed now (on the loop it is)."""
        self._hurry.set()

    def sweep_soon(self) -> None:
        """Derive what no process holds (left raw by a process that died), on the thread."""
        self._sweep.set()
        self._hurry.set()
        self._work.set()
        self._start()

    def stop(self) -> None:
        """Write what is still handed (bounded by ``STOP_SECONDS``), then stop."""
        self._loop = None
        self._stopping.set()
        self._hurry.set()
        self._work.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=STOP_SECONDS)
        with contextlib.suppress(StoreError):  # else the next start sweeps them
            self.derive_handed()

    def derive_handed(self) -> int:
        """Derive and write what was handed, a batch at a time; how many."""
        done = 0
        while batch := self._take(self.batch):
            try:
                self.store.derivation.write(self._derive_all(batch))
            except BaseException:
                self._handed.extendleft(reversed(batch))  # tried again after the pause
                raise
            done += len(batch)
        return done

    def sweep(self) -> int:
        """Derive every capture still raw that no process holds, if this process holds the
        sweep lease (else another process is sweeping); how many."""
        derivation = self.store.derivation
        if derivation.first_underived() is None or not derivation.hold_lease(self.holder):
            return 0
        done, last = 0, self.store.captures.last_id()  # not what live processes take meanwhile
        try:
            while raw := derivation.underived(self.batch, up_to=last):
                derivation.write(self._derive_all([inbound(stored) for stored in raw]))
                done += len(raw)
        finally:
            with contextlib.suppress(StoreError):  # else the lease runs out by itself
                derivation.release_lease(self.holder)
        if done:
            log.info("derived %d captures a previous process left raw", done)
        return done

    def _take(self, most: int) -> list[RawCapture]:
        handed = self._handed
        return [handed.popleft() for _ in range(min(most, len(handed)))]

    def _derive_all(self, raw: list[RawCapture]) -> list[tuple[int, CaptureRecord]]:
        derived = []
        for capture in raw:
            try:
                record = derive(capture, self.limits)
            except Exception as exc:  # one capture must never hold back every read behind it
                log.exception("capture %d could not be derived", capture.id)
                record = not_derived(capture, exc)
            derived.append((capture.id, record))
        return derived

    def _schedule_on_loop(self) -> None:
        loop = self._loop
        if loop is None:  # stopped meanwhile: stop() writes the rest
            return
        if self.loop_delay:
            loop.call_later(self.loop_delay, self._derive_on_loop)
        else:
            loop.call_soon(self._derive_on_loop)

    def _derive_on_loop(self) -> None:
        loop, commits = self._loop, self._commits
        self._loop_due = False
        if loop is None or commits is None:  # stopped meanwhile: stop() writes the rest
            return
        batch = self._take(LOOP_BATCH)
        if not batch:
            return
        write = loop.create_task(self._write_on_loop(commits, batch))
        self._writes.add(write)
        write.add_done_callback(self._writes.discard)
        if self._handed and not self._loop_due:  # the rest after the loop's next requests
            self._loop_due = True
            self._schedule_on_loop()

    async def _write_on_loop(self, commits: LoopCommitter, batch: list[RawCapture]) -> None:
        try:
            await commits.run(self.store.derivation.writing(self._derive_all(batch)))
        except Exception as exc:  # a locked or full disk: the rows stay raw, tried again
            if self.store.closed:  # shut down meanwhile: the next start sweeps them
                return
            log.warning("deriving failed, trying again: %s", exc)
            await asyncio.sleep(FAILED_PAUSE)
            for capture in batch:
                self.hand(capture)

    def _start(self) -> None:
        with self._lock:
            if self._thread is None and not self._stopping.is_set():
                self._thread = threading.Thread(target=self._run_thread, name="sandbox-deriver",
                                                daemon=True)
                self._thread.start()

    def _run_thread(self) -> None:
        while not self.store.closed:
            if not self._work.wait(IDLE_EXIT_SECONDS) and self._idle_out():
                return
            if not self._stopping.is_set():
                self._hurry.wait(self.gather)  # let a batch gather, unless a read waits
            self._hurry.clear()
            self._work.clear()  # before draining: a capture handed from here on sets it again
            try:
                self.derive_handed()
                if self._sweep.is_set():
                    self._sweep.clear()
                    self.sweep()
            except Exception as exc:  # a locked or full disk; the store closed under us
                if self.store.closed:
                    break
                log.warning("deriving failed, trying again: %s", exc)
                self._work.set()
                time.sleep(FAILED_PAUSE)
                continue
            if self._stopping.is_set() and not self._handed:
                break
        self._thread = None

    def _idle_out(self) -> bool:
        """Stop the thread after a while without work, unless a capture came meanwhile."""
        with self._lock:
            if self._work.is_set():
                return False
            self._thread = None
            return True
