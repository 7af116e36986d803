"""The deriver: a thread per server process that derives raw captures in batches.

Only the process holding the store's deriver lease derives (the others stand by, and take
over when the holder dies), and each row is written with ``derived = 0`` as a condition, so
no capture is derived twice. A batch is read, derived in memory (``derive.py``, pure) and
written in one group commit; after a crash or restart whatever is still raw is simply derived
then. The request path nudges the deriver after each commit, which starts its thread if it
is not running; the thread derives a batch every ``GATHER_SECONDS`` while there is work (one
commit per batch, not per capture) and stops after ``IDLE_EXIT_SECONDS`` without any. A read
that has to wait for derivation hurries it, so a read right after a capture waits for one
batch at most, and captures left raw by a process that died are derived by the next one that
reads.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable

from sandbox.capture.derive import DeriveLimits, derive, not_derived
from sandbox.capture.trust import REPLAY_RECORDING, ChannelSettings, cached_channel
from sandbox.errors import SandboxError
from sandbox.signing import SkanProfile, TrustedKey
from sandbox.store import Store
from sandbox.store.derivation import LEASE_SECONDS
from sandbox.store.records import CaptureRecord, StoredCapture, StoreError

log = logging.getLogger("sandbox.capture")
BATCH = 512
GATHER_SECONDS = 0.01  # how long a running deriver gathers captures between batches
IDLE_EXIT_SECONDS = 2.0
STANDBY_SECONDS = 1.0  # how often a process without the lease asks whether its holder died
FAILED_PAUSE = 0.5  # after a store error (a locked or full disk), before trying again
LEASE_RENEW_BEFORE = LEASE_SECONDS / 2
NO_KEYS: Callable[[], tuple[TrustedKey, ...]] = tuple


class Deriver:
    def __init__(
        self, store: Store, limits: DeriveLimits, *,
        sandbox_keys: Callable[[], tuple[TrustedKey, ...]] = NO_KEYS, batch: int = BATCH,
    ) -> None:
        self.store = store
        self.limits = limits
        self.sandbox_keys = sandbox_keys
        self.batch = batch
        self.holder = f"{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._lease_until = 0.0
        self._standby_until = 0.0
        self._pending = False
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def nudge(self) -> None:
        """A capture was committed raw: derive it with the next batch. Starts the thread when
        it is not running (it stops after ``IDLE_EXIT_SECONDS`` without work); a running one
        gathers captures for up to ``GATHER_SECONDS``, so a batch carries many."""
        self._pending = True
        if self._thread is None:
            self._start()

    def hurry(self) -> None:
        """A read waits for derivation: derive now."""
        self._pending = True
        self._wake.set()
        if self._thread is None:
            self._start()

    def _start(self) -> None:
        with self._lock:
            if self._thread is None and not self._stopping.is_set():
                self._thread = threading.Thread(target=self._loop, name="sandbox-deriver",
                                                daemon=True)
                self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=5)
        with contextlib.suppress(StoreError):  # else the lease runs out by itself
            self.store.derivation.release_lease(self.holder)

    def derive_once(self) -> int:
        """Derive one batch if there is work and this process holds the lease; how many."""
        if self.store.derivation.first_underived() is None or not self._hold_lease():
            return 0
        raw = self.store.derivation.underived(self.batch)
        if raw:
            self.store.derivation.write(self._derive_all(raw))
        return len(raw)

    def _hold_lease(self) -> bool:
        now = time.time()
        if self._lease_until - now > LEASE_RENEW_BEFORE:
            return True
        if now < self._standby_until:  # another process derives: ask again later, not now
            return False
        held, until = self.store.derivation.hold_lease(self.holder, now)
        if held:
            self._lease_until = until
        else:
            self._lease_until = 0.0
            self._standby_until = min(until, now + STANDBY_SECONDS)
        return held

    def _derive_all(self, raw: list[StoredCapture]) -> list[tuple[int, CaptureRecord]]:
        accepted: set[tuple[str, str]] = set()  # replay keys accepted earlier in this batch
        derived = []
        for capture in raw:
            try:
                record = self._derive_one(capture, accepted)
            except Exception as exc:  # one capture must never hold back every read behind it
                log.exception("capture %d could not be derived", capture.id)
                record = not_derived(capture, exc)
            derived.append((capture.id, record))
        return derived

    def _derive_one(self, capture: StoredCapture, accepted: set[tuple[str, str]]) -> CaptureRecord:
        channel = capture.channel
        profile = self._settings(channel).profile if capture.verdict is None else None

        def seen_before(key: str) -> bool:
            return (channel, key) in accepted or self.store.captures.accepted_before(
                channel, key, before_id=capture.id)

        keys = self.sandbox_keys() if isinstance(profile, SkanProfile) else ()
        record = derive(capture, self.limits, profile=profile, seen_before=seen_before,
                        sandbox_keys=keys)
        status = capture.response_status or 0
        if record.replay_key and record.verdict in REPLAY_RECORDING and 200 <= status < 300:
            accepted.add((channel, record.replay_key))
        return record

    def _settings(self, channel: str) -> ChannelSettings:
        texts = self.store.channels.settings_texts(channel)
        if texts is None:
            return ChannelSettings()
        try:
            return cached_channel(texts)
        except SandboxError:  # the request path refused these captures already
            return ChannelSettings()

    def _loop(self) -> None:
        idle_since = time.monotonic()
        while not self._stopping.is_set() and not self.store.closed:
            self._wake.clear()  # a read that hurries from here on cuts the wait below short
            self._pending = False
            try:
                done = self.derive_once()
            except Exception as exc:  # a locked or full disk; the store closed under us
                if self.store.closed:
                    break
                log.warning("deriving failed, trying again: %s", exc)
                self._stopping.wait(FAILED_PAUSE)
                continue
            if done:
                idle_since = time.monotonic()
            if done < self.batch and not self._wake.wait(GATHER_SECONDS) and self._idle_out(
                    idle_since):
                return
        self._thread = None

    def _idle_out(self, idle_since: float) -> bool:
        """Stop the thread after a while without work, unless a capture came meanwhile."""
        if time.monotonic() - idle_since < IDLE_EXIT_SECONDS:
            return False
        with self._lock:
            if self._pending:
                return False
            self._thread = None
            return True
