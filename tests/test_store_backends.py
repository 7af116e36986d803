"""The store on both backends: SQLite and PostgreSQL answer the same (issue 19, in progress:
the capture path, listings, channel counters and derivation run on both; the assertion
language's JSON conditions are SQLite's alone so far)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from sandbox.capture.channels import Answer
from sandbox.capture.record import InboundRequest, build_record
from sandbox.errors import ConfigError
from sandbox.store import SCHEMA_VERSION, Store
from sandbox.store.captures import CaptureFilter, write_numbered

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
