"""Every schema version upgrades to the newest without losing what was stored."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sandbox.errors import ConfigError
from sandbox.store import SCHEMA_VERSION, Store
from sandbox.store.schema import MIGRATIONS

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
