"""Group commit on an event loop: each capture is answered once committed, captures that
arrive during a commit share the next one, and one bad write sinks none else."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator

import pytest

from sandbox.store import Store
from sandbox.store.loop_commit import LoopCommitter


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


def test_writes_that_arrive_during_a_commit_share_the_next_one(table: Store,
                                                               committer: LoopCommitter):
    batches: list[int] = []
    run_many = table.writer.run_many
    table.writer.run_many = lambda works: (batches.append(len(works)), run_many(works))[1]

    async def main() -> list[int]:
        return await asyncio.gather(*(committer.run(insert(n)) for n in range(100)))

    assert asyncio.run(main()) == list(range(100))
    assert sum(batches) == 100
    assert batches[0] == 1  # the first write does not wait for company
    assert len(batches) < 10  # the rest went in a few groups


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
