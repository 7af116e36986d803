"""Group commit: every job is committed before its caller returns; one bad job sinks none else."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from sandbox.store import Store
from sandbox.store.writer import IN_PLACE, GroupWriter
from tests.conftest import sqlite_only

pytestmark = sqlite_only  # it reads the file with a second sqlite3 connection


@pytest.fixture
def table(store: Store) -> Store:
    store.connection().execute("CREATE TABLE t (n INTEGER UNIQUE)")
    return store


def insert(n: int):
    def work(conn: sqlite3.Connection) -> int:
        return int(conn.execute("INSERT INTO t (n) VALUES (?)", (n,)).lastrowid or 0)

    return work


def committed(store: Store) -> set[int]:
    # A separate connection sees only committed rows.
    with sqlite3.connect(store.path) as other:
        return {row[0] for row in other.execute("SELECT n FROM t")}


def test_concurrent_jobs_are_all_committed_when_they_return(table: Store):
    barrier = threading.Barrier(16)

    def job(n: int) -> int:
        barrier.wait()
        table.writer.run(insert(n))
        assert n in committed(table)  # durable before the caller goes on
        return n

    with ThreadPoolExecutor(16) as pool:
        done = list(pool.map(job, range(16)))
    assert committed(table) == set(done)


def test_a_failing_job_raises_for_its_caller_only(table: Store):
    table.writer.run(insert(1))
    results: dict[int, object] = {}
    barrier = threading.Barrier(3)

    def job(n: int) -> None:
        barrier.wait()
        try:
            results[n] = table.writer.run(insert(n))
        except sqlite3.IntegrityError as exc:
            results[n] = exc

    threads = [threading.Thread(target=job, args=(n,)) for n in (1, 2, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert isinstance(results[1], sqlite3.IntegrityError)  # duplicate of the first insert
    assert committed(table) == {1, 2, 3}


def test_a_lone_failing_job_leaves_no_transaction_open(table: Store):
    table.writer.run(insert(5))
    with pytest.raises(sqlite3.IntegrityError):
        table.writer.run(insert(5))
    assert table.writer.run(insert(6)) > 0
    assert committed(table) == {5, 6}


def test_channel_settings_changed_by_another_store_are_seen_at_once(tmp_path):
    """Two Store objects on one file stand for two worker processes."""
    first, second = Store(tmp_path / "two.db"), Store(tmp_path / "two.db")
    try:
        assert second.channels.settings_texts("net1") is None  # cached as "no settings"
        first.channels.put("net1", {"status": 202})
        texts = second.channels.settings_texts("net1")
        assert texts is not None and '"status": 202' in texts[0]
        first.channels.delete("net1")
        assert second.channels.settings_texts("net1") is None
    finally:
        first.close()
        second.close()


def test_a_batch_that_only_fills_rows_in_says_nothing_of_the_disks_room(table: Store):
    """A derivation write succeeding on a full disk must not clear the health's "degraded"
    (it needs no new page), so a batch of in-place works reports no success; any other does."""
    reported: list[BaseException | None] = []
    writer = GroupWriter(table.connection, None, reported.append)

    def fill_in(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE t SET n = n WHERE n = 1")

    setattr(fill_in, IN_PLACE, True)
    writer.run(insert(1))
    assert reported == [None]
    writer.run(fill_in)
    assert reported == [None]  # nothing more
    assert table.derivation.writing([]).__dict__.get(IN_PLACE) is True  # the deriver's works
