"""Group commit for an event loop: the captures of one loop tick go to disk in one transaction.

The loop never waits on the disk. The first capture to arrive hands its write to a single
writer thread at once; captures that arrive while that commit runs queue up and go together in
the next one, so under load each transaction carries many captures, and alone a capture is
committed without delay. The writer thread goes through the process's ``GroupWriter``, so the
cross-process file lock and the per-work rollback apply as for every other write.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sandbox.store.writer import GroupWriter, Outcome, Work


class LoopCommitter:
    def __init__(self, writer: GroupWriter) -> None:
        self._writer = writer
        self._pending: list[tuple[Work, asyncio.Future[Any]]] = []
        self._busy = False
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="sandbox-commit")

    async def run(self, work: Work) -> Any:
        """Run ``work`` in the next group transaction; its result once that is committed."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Any] = loop.create_future()
        self._pending.append((work, done))
        if not self._busy:
            self._busy = True
            self._flush(loop)
        return await done

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        batch, self._pending = self._pending, []
        committed = self._thread.submit(self._writer.run_many, [work for work, _ in batch])
        committed.add_done_callback(
            lambda outcomes: loop.call_soon_threadsafe(self._settle, loop, batch, outcomes)
        )

    def _settle(
        self, loop: asyncio.AbstractEventLoop, batch: list[tuple[Work, asyncio.Future[Any]]],
        committed: Future[list[Outcome]],
    ) -> None:
        failure = committed.exception()
        outcomes = [Outcome(error=failure)] * len(batch) if failure else committed.result()
        for (_, done), outcome in zip(batch, outcomes, strict=True):
            if done.cancelled():  # the client left; its capture is stored all the same
                continue
            if outcome.error is not None:
                done.set_exception(outcome.error)
            else:
                done.set_result(outcome.result)
        if self._pending:
            self._flush(loop)
        else:
            self._busy = False

    def close(self) -> None:
        self._thread.shutdown(wait=True)
