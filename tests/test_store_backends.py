"""The store on both backends: SQLite and PostgreSQL answer the same (issue 19, in progress:
the capture path, listings, channel counters and derivation run on both; the assertion
language's JSON conditions are SQLite's alone so far)."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from sandbox.capture.channels import Answer
from sandbox.capture.record import InboundRequest, build_record
from sandbox.errors import ConfigError
from sandbox.store import SCHEMA_VERSION, Store
from sandbox.store.captures import CaptureFilter, write_capture, write_numbered
from tests.postgres import PostgresServer

RECEIVED = "2026-12-04T10:00:00.000001Z"
OK = Answer(200, {}, None, 0)


def request(query: str, body: bytes = b"", channel: str = "n") -> InboundRequest:
    headers = [("Content-Type", "application/json")] if body else []
    return InboundRequest("POST" if body else "GET", f"/pb/{channel}", query, headers, body,
                          "127.0.0.1", RECEIVED, len(body), channel)


@pytest.fixture
def store(any_db: str):
    opened = Store(any_db)
    yield opened
    opened.close()


def test_a_capture_reads_back_whole(store: Store):
    record = build_record(request("click_id=c1&event=install", b'{"revenue": 1.5}'),
                          decoded_limit=1 << 20)
    capture_id = store.captures.insert(record, OK)
    stored = store.captures.get(capture_id)
    assert stored is not None
    assert stored.body == b'{"revenue": 1.5}' and stored.query == {
        "click_id": ["c1"], "event": ["install"]}
    assert stored.keys["click_id"] == "c1" and stored.keys["revenue"] == "1.5"
    found = store.captures.page(CaptureFilter(keys={"click_id": "c1"}), limit=5)
    assert [c.id for c in found] == [capture_id]
    assert store.captures.count(CaptureFilter(channel="n")) == 1


def test_channel_counters_number_requests_in_order(store: Store):
    store.channels.put("n", {"fail_first": 2}, None)
    record = build_record(request("click_id=c2"), decoded_limit=1 << 20)
    numbers = []
    for _ in range(4):
        _, answer = store.writer.run(write_numbered(record, lambda n: Answer(n, {}, None, 0)))
        numbers.append(answer.status)
    assert numbers == [1, 2, 3, 4]


def test_a_nul_in_an_extracted_value_is_stored(store: Store):
    """PostgreSQL text cannot hold U+0000: it is kept as U+FFFD there, the raw query as is."""
    record = build_record(request("click_id=%00x"), decoded_limit=1 << 20)
    stored = store.captures.get(store.captures.insert(record, OK))
    assert stored is not None and stored.query_string == "click_id=%00x"
    expected = "\ufffdx" if store.postgres else "\x00x"
    assert stored.keys["click_id"] == expected


def test_nodes_that_start_together_migrate_once(postgres_url: str):
    def open_and_close(_: int) -> bool:
        Store(postgres_url).close()
        return True

    with ThreadPoolExecutor(6) as pool:
        assert all(pool.map(open_and_close, range(6)))
    with psycopg.connect(postgres_url) as conn:
        versions = conn.execute("SELECT version FROM schema_version").fetchall()
    assert versions == [(SCHEMA_VERSION,)]


def test_an_unreachable_database_is_a_clear_error_without_its_password(postgres_url: str):
    wrong = postgres_url.replace("sandbox@", "sandbox:s3cret@").rsplit("/", 1)[0] + "/nope"
    with pytest.raises(ConfigError) as raised:
        Store(wrong)
    assert "nope" in raised.value.message and "s3cret" not in raised.value.message


def test_a_settings_change_reaches_another_process_cache(any_db: str):
    """Each process caches channel settings; a change made by another (a second worker, or a
    node on another host: a second store here) reaches the cache: through the shared file on
    SQLite, through NOTIFY on PostgreSQL, within the time the listener takes to hear it."""
    reader, writer = Store(any_db), Store(any_db)
    try:
        writer.channels.put("n", {"status": 201})
        deadline = time.monotonic() + 5
        while not reader.settings_version.shared and time.monotonic() < deadline:
            time.sleep(0.01)  # the PostgreSQL listener starts on the first read
        assert reader.settings_version.shared
        assert '"status": 201' in reader.channels.settings_texts("n")[0]
        writer.channels.put("n", {"status": 202})
        while '"status": 202' not in reader.channels.settings_texts("n")[0]:
            assert time.monotonic() < deadline, "the change never reached the other cache"
            time.sleep(0.001)
        writer.channels.delete("n")
        while reader.channels.settings_texts("n") is not None:
            assert time.monotonic() < deadline, "the deletion never reached the other cache"
            time.sleep(0.001)
    finally:
        reader.close()
        writer.close()


def test_a_group_of_captures_gets_each_its_own_id(store: Store):
    """The captures of one group commit go together (one round trip on PostgreSQL): each is
    answered the id of its own row, in the order they were handed over."""
    writes = [write_capture(build_record(request(f"click_id=g{n}"), decoded_limit=1 << 20),
                            Answer(200 + n, {}, None, 0)) for n in range(40)]
    outcomes = store.writer.run_many(writes)
    assert [outcome.error for outcome in outcomes] == [None] * 40
    ids = [outcome.result[0] for outcome in outcomes]
    assert len(set(ids)) == 40 and ids == sorted(ids)
    for n, (capture_id, answer) in enumerate(outcome.result for outcome in outcomes):
        stored = store.captures.get(capture_id)
        assert stored is not None and stored.query == {"click_id": [f"g{n}"]}
        assert answer.status == stored.response_status == 200 + n


def test_a_failing_work_among_captures_sinks_only_itself(store: Store):
    def fails(conn):
        conn.execute("INSERT INTO no_such_table VALUES (1)")

    writes = [write_capture(build_record(request(f"click_id=f{n}"), decoded_limit=1 << 20), OK)
              for n in range(3)]
    outcomes = store.writer.run_many([writes[0], writes[1], fails, writes[2]])
    assert [outcome.error is None for outcome in outcomes] == [True, True, False, True]
    assert store.captures.count(CaptureFilter(channel="n")) == 3


def test_threads_share_a_bounded_pool(postgres: PostgresServer):
    """Many threads, at most connection_limit connections: a statement waits for a free one."""
    postgres_url = postgres.create_database(f"t_pool_{uuid.uuid4().hex[:8]}")
    store = Store(postgres_url + "?connection_limit=2&pool_timeout=20")
    try:
        def read(n: int) -> int:
            return store.channels.configured().count("x") + n

        with ThreadPoolExecutor(16) as pool:
            assert sum(pool.map(read, range(64))) == sum(range(64))
        with psycopg.connect(postgres_url) as conn:
            name = postgres_url.rsplit("/", 1)[1]
            (count,) = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND query NOT "
                "LIKE 'LISTEN%%'", (name,)).fetchone()
        assert count <= 2 + 1  # the pool's two, and this look
    finally:
        store.close()


@pytest.mark.parametrize("option", ["connection_limit=0", "connection_limit=x",
                                    "pool_timeout=-1"])
def test_a_bad_pool_option_names_itself(postgres_url: str, option: str):
    with pytest.raises(ConfigError) as raised:
        Store(f"{postgres_url}{'&' if '?' in postgres_url else '?'}{option}")
    assert option.split("=")[0] in raised.value.message and "expected" in raised.value.message
