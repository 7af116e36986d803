"""Group commit on an event loop: each capture is answered once committed, captures that
arrive during a commit share the next one, and one bad write sinks none else."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from sandbox.store import Store
from sandbox.store.loop_commit import LoopCommitter
from tests.conftest import sqlite_only

pytestmark = sqlite_only  # the loop commits itself on SQLite only (PostgreSQL: on a thread)


@pytest.fixture
def table(store: Store) -> Store:
    store.connection().execute("CREATE TABLE t (n INTEGER UNIQUE)")
    return store


@pytest.fixture
def committer(table: Store) -> Iterator[LoopCommitter]:
    committer = LoopCommitter(table.writer)
    yield committer
    committer.close()


def insert(n: int):
    def work(conn: sqlite3.Connection) -> int:
        conn.execute("INSERT INTO t (n) VALUES (?)", (n,))
        return n

    return work


def committed(store: Store) -> set[int]:
    with sqlite3.connect(store.path) as other:  # sees committed rows only
        return {row[0] for row in other.execute("SELECT n FROM t")}


def test_each_write_is_committed_before_its_caller_goes_on(table: Store,
                                                           committer: LoopCommitter):
    async def capture(n: int) -> bool:
        await committer.run(insert(n))
        return n in committed(table)

    async def main() -> list[bool]:
        return await asyncio.gather(*(capture(n) for n in range(50)))

    assert all(asyncio.run(main()))
    assert committed(table) == set(range(50))


def test_the_writes_of_one_loop_tick_share_a_commit_on_the_loop(table: Store,
                                                                committer: LoopCommitter):
    threads: list[str] = []
    run_now = table.writer.run_now

    def recording(works):
        threads.append(threading.current_thread().name)
        assert len(works) == 100  # all of them: they arrived in the same tick
        return run_now(works)

    table.writer.run_now = recording  # type: ignore[method-assign]

    async def main() -> list[int]:
        return await asyncio.gather(*(committer.run(insert(n)) for n in range(100)))

    assert asyncio.run(main()) == list(range(100))
    assert threads == ["MainThread"]  # committed on the loop's own thread, no hand-off
    assert committed(table) == set(range(100))


@contextlib.contextmanager
def file_lock_held_elsewhere(store: Store) -> Iterator[Callable[[], None]]:
    """Hold the writers' file lock as another process would; yield a function releasing it."""
    with open(f"{store.path}.lock", "a+b") as other:
        fcntl.flock(other, fcntl.LOCK_EX)
        # Released after a while in any case: a loop that blocked on the lock fails the test
        # instead of hanging it.
        safety = threading.Timer(5, fcntl.flock, (other, fcntl.LOCK_UN))
        safety.start()
        try:
            yield lambda: fcntl.flock(other, fcntl.LOCK_UN)
        finally:
            safety.cancel()
            fcntl.flock(other, fcntl.LOCK_UN)


def test_a_loop_does_not_wait_behind_a_long_transaction_of_another_process(
        table: Store, committer: LoopCommitter):
    events: list[str] = []

    async def capture() -> None:
        await committer.run(insert(1))
        events.append("committed")

    async def main(release: Callable[[], None]) -> None:
        task = asyncio.ensure_future(capture())
        for _ in range(3):  # the loop keeps turning while the write waits for the lock
            await asyncio.sleep(0.01)
            events.append("tick")
        assert not task.done()
        release()
        await task

    with file_lock_held_elsewhere(table) as release:
        asyncio.run(main(release))
    assert events == ["tick", "tick", "tick", "committed"]
    assert committed(table) == {1}


def test_a_loop_hands_its_writes_to_the_thread_while_a_thread_commits(
        table: Store, committer: LoopCommitter):
    """A thread of this process leading a commit: the loop queues behind it on its thread."""
    with file_lock_held_elsewhere(table) as release, ThreadPoolExecutor(1) as pool:
        leading = pool.submit(table.writer.run, insert(1))  # waits for the file lock
        while not table.writer._leading:
            time.sleep(0.001)
        assert table.writer.run_now([insert(2)]) is None  # would have to wait

        async def main() -> int:
            write = asyncio.ensure_future(committer.run(insert(3)))
            await asyncio.sleep(0.01)
            release()
            return await write

        assert asyncio.run(main()) == 3
        assert leading.result() == 1
    assert committed(table) == {1, 3}


def test_a_failing_write_fails_alone(table: Store, committer: LoopCommitter):
    async def main() -> list[object]:
        return await asyncio.gather(
            *(committer.run(insert(n)) for n in (1, 2, 2, 3)), return_exceptions=True)

    results = asyncio.run(main())
    assert results[0] == 1 and results[1] == 2 and results[3] == 3
    assert isinstance(results[2], sqlite3.IntegrityError)
    assert committed(table) == {1, 2, 3}


def test_a_caller_that_leaves_does_not_lose_its_write(table: Store, committer: LoopCommitter):
    async def main() -> None:
        task = asyncio.ensure_future(committer.run(insert(7)))
        await asyncio.sleep(0)
        task.cancel()  # the client went away while its capture was being committed
        await committer.run(insert(8))

    asyncio.run(main())
    assert committed(table) == {7, 8}
