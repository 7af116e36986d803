"""The versioned schema. Each migration runs once, in order; PRAGMA user_version counts them.

A released migration is never edited: a later change ships a new one, plus a test that opens a
database made by the previous version.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

Migration = Callable[[sqlite3.Connection], None]


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    # executescript() would COMMIT the migration's transaction early; run statements one by one.
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _v1_captures(conn: sqlite3.Connection) -> None:
    _run_script(
        conn,
        """
        CREATE TABLE captures (
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL,
            method TEXT NOT NULL,
            path TEXT NOT NULL,
            query_string TEXT NOT NULL,
            query_json TEXT NOT NULL,
            headers_json TEXT NOT NULL,
            body BLOB NOT NULL,
            decoded_body BLOB,
            form_json TEXT,
            json_body TEXT,
            body_note TEXT,
            content_type TEXT,
            content_encoding TEXT,
            remote_addr TEXT,
            received_at TEXT NOT NULL,
            body_size INTEGER NOT NULL,
            refused TEXT,
            response_status INTEGER NOT NULL,
            response_headers_json TEXT,
            response_body TEXT,
            verdict TEXT,
            verdict_detail_json TEXT,
            lint_json TEXT,
            click_id TEXT,
            event_name TEXT,
            transaction_id TEXT,
            device_id TEXT,
            revenue TEXT,
            currency TEXT
        );
        CREATE INDEX captures_channel ON captures (channel, id);
        CREATE INDEX captures_click_id ON captures (click_id) WHERE click_id IS NOT NULL;
        CREATE INDEX captures_event ON captures (event_name, channel)
            WHERE event_name IS NOT NULL;
        CREATE INDEX captures_transaction ON captures (transaction_id)
            WHERE transaction_id IS NOT NULL;
        CREATE INDEX captures_device ON captures (device_id) WHERE device_id IS NOT NULL;
        CREATE INDEX captures_received ON captures (received_at);

        CREATE TABLE channels (
            name TEXT PRIMARY KEY,
            answer_json TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            requests INTEGER NOT NULL DEFAULT 0
        );
        """
    )


MIGRATIONS: list[Migration] = [_v1_captures]


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database up to the newest version; answer the version it is at."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    if current > len(MIGRATIONS):
        raise RuntimeError(
            f"database schema version {current} is newer than this postback-sandbox "
            f"({len(MIGRATIONS)}); upgrade postback-sandbox"
        )
    for version, migration in enumerate(MIGRATIONS[current:], start=current + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # A concurrent process may have migrated while we waited for the lock.
            if conn.execute("PRAGMA user_version").fetchone()[0] >= version:
                conn.execute("ROLLBACK")
                continue
            migration(conn)
            conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return len(MIGRATIONS)
