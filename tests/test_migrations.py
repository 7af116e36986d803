"""Every schema version upgrades to the newest without losing what was stored."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from sandbox.capture.record import InboundRequest, build_record
from sandbox.errors import ConfigError
from sandbox.store import SCHEMA_VERSION, Store
from sandbox.store.records import Answer
from sandbox.store.schema import MIGRATIONS
from tests.postgres import PostgresServer

V1_CAPTURE = {
    "channel": "net1", "method": "GET", "path": "/pb/net1", "query_string": "click_id=a",
    "query_json": '{"click_id":["a"]}', "headers_json": "[]", "body": b"\x00\xff",
    "received_at": "2026-11-28T10:00:00.000000Z", "body_size": 2, "response_status": 200,
    "click_id": "a",
}


def database_at(path: Path, version: int) -> None:
    """A database as a build with only the first ``version`` migrations would leave it."""
    conn = sqlite3.connect(path, isolation_level=None)
    for migration in MIGRATIONS[:version]:
        conn.execute("BEGIN")
        migration(conn)
        conn.execute("COMMIT")
    conn.execute(f"PRAGMA user_version = {version}")
    columns = ", ".join(V1_CAPTURE)
    marks = ", ".join("?" for _ in V1_CAPTURE)
    conn.execute(f"INSERT INTO captures ({columns}) VALUES ({marks})", list(V1_CAPTURE.values()))
    conn.close()


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION + 1))
def test_older_database_upgrades_and_keeps_captures(tmp_path: Path, version: int):
    path = tmp_path / "old.db"
    database_at(path, version)
    store = Store(path)
    try:
        conn = store.connection()
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        row = store.captures.get(1)
        assert row is not None and row.body == b"\x00\xff" and row.keys["click_id"] == "a"
        assert store.integrity_check() == "ok"
    finally:
        store.close()


def test_a_newer_database_is_refused_clearly(tmp_path: Path):
    path = tmp_path / "new.db"
    sqlite3.connect(path).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}").connection.close()
    with pytest.raises(ConfigError, match="newer than this postback-sandbox"):
        Store(path)


RELEASE_DUMPS = sorted((Path(__file__).parent / "data" / "postgres").glob("*.sql"))


@pytest.mark.parametrize("dump", RELEASE_DUMPS, ids=lambda path: path.stem)
def test_a_postgresql_database_of_an_earlier_release_opens(postgres: PostgresServer, dump: Path):
    """A database written by an earlier release (its pg_dump, in tests/data/postgres) opens
    at this schema version and keeps its captures, channels and counters; a new capture
    takes the next id. Each release that changes the schema adds its dump."""
    url = postgres.create_database(f"t_{dump.stem.replace('-', '_')}")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(dump.read_text(encoding="utf-8"))  # no parameters: many statements
    store = Store(url)
    try:
        version = store.connection().execute("SELECT max(version) FROM schema_version")
        assert version.fetchone()[0] == SCHEMA_VERSION
        first, second = store.captures.get(1), store.captures.get(2)
        assert first is not None and first.keys["click_id"] == "a1"
        assert second is not None and second.json_text == '{"currency":"EUR"}'
        assert store.channels.get("net1")["answer"] == {"fail_first": 1, "status": 201}
        request = InboundRequest("GET", "/pb/net1", "click_id=a3", [], b"", "127.0.0.1",
                                 "2026-12-04T10:00:00.000000Z", 0, "net1")
        new_id = store.captures.insert(build_record(request, decoded_limit=1 << 20),
                                       Answer(200, {}, None, 0))
        assert new_id == 3
    finally:
        store.close()


def test_a_newer_postgresql_database_is_refused_clearly(postgres_url: str):
    Store(postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (SCHEMA_VERSION + 5,))
    with pytest.raises(ConfigError, match="newer than this postback-sandbox"):
        Store(postgres_url)
