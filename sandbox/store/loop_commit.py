"""Group commit for an event loop: the captures of one loop tick go to disk in one transaction.

A capture's write waits for the end of the loop tick it arrived in; then the tick's writes are
committed together, on the loop itself when the writer is free (``GroupWriter.run_now``): no
thread hand-off, which costs more CPU around the GIL than the commit does. When the writer is
busy (a thread of this process is committing, or another process keeps the file lock for more
than a few milliseconds), the batch goes to a single writer thread instead, so the loop never
waits behind a long transaction; writes that arrive meanwhile queue up and go together in the
next commit. Either way the ``GroupWriter`` applies the cross-process file lock and the
per-work rollback.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sandbox.store.writer import GroupWriter, Outcome, Work

Batch = list[tuple[Work, asyncio.Future[Any]]]


class LoopCommitter:
    def __init__(self, writer: GroupWriter) -> None:
        self._writer = writer
        self._pending: Batch = []
        self._busy = False
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="sandbox-commit")

    async def run(self, work: Work) -> Any:
        """Run ``work`` in the next group transaction; its result once that is committed."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Any] = loop.create_future()
        self._pending.append((work, done))
        if not self._busy:
            self._busy = True
            loop.call_soon(self._flush, loop)
        return await done

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        batch, self._pending = self._pending, []
        works = [work for work, _ in batch]
        try:
            outcomes = self._writer.run_now(works)
        except Exception as exc:  # e.g. the lock file could not be opened
            outcomes = [Outcome(error=exc)] * len(batch)
        if outcomes is None:
            committed = self._thread.submit(self._writer.run_many, works)
            committed.add_done_callback(
                lambda done: loop.call_soon_threadsafe(self._settle_thread, loop, batch, done)
            )
        else:
            self._settle(loop, batch, outcomes)

    def _settle_thread(
        self, loop: asyncio.AbstractEventLoop, batch: Batch, committed: Future[list[Outcome]]
    ) -> None:
        failure = committed.exception()
        self._settle(loop, batch,
                     [Outcome(error=failure)] * len(batch) if failure else committed.result())

    def _settle(self, loop: asyncio.AbstractEventLoop, batch: Batch,
                outcomes: list[Outcome]) -> None:
        for (_, done), outcome in zip(batch, outcomes, strict=True):
            if done.cancelled():  # the client left; its capture is stored all the same
                continue
            if outcome.error is not None:
                done.set_exception(outcome.error)
            else:
                done.set_result(outcome.result)
        if self._pending:
            loop.call_soon(self._flush, loop)
        else:
            self._busy = False

    def close(self) -> None:
        self._thread.shutdown(wait=True)
