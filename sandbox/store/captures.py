"""Captures: the hot insert path and the indexed look-ups behind the API.

Every read of capture contents first waits for the deriver (``derivation.settle``): a read
sees every capture committed before it began, derived.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import compress
from typing import TYPE_CHECKING, Any

from sandbox.compact_json import compact_json
from sandbox.store.pg_connection import PgConnection
from sandbox.store.records import KEY_NAMES, Answer, CaptureRecord, StoredCapture
from sandbox.store.space import BATCH_BYTES, delete_making_room, is_disk_full

if TYPE_CHECKING:
    from sandbox.store import Store

_COLUMNS = (
    "channel", "method", "path", "query_string", "query_json", "headers_json", "body",
    "decoded_body", "form_json", "json_body", "body_note", "content_type", "content_encoding",
    "remote_addr", "received_at", "body_size", "refused", "response_status",
    "response_headers_json", "response_body", "verdict", "verdict_detail_json", "lint_json",
    "replay_key", *KEY_NAMES, "derived",
)
# What reads select, in StoredCapture's order (the key columns folded into ``keys``).
READ = ("id, channel, method, path, query_string, query_json, headers_json, body, "
         "decoded_body, form_json, json_body, body_note, content_type, content_encoding, "
         "remote_addr, received_at, body_size, refused, response_status, "
         "response_headers_json, response_body, verdict, verdict_detail_json, lint_json, "
         f"{', '.join(KEY_NAMES)}, replay_key, forward_json")
_KEYS_AT = 24  # where the key columns start in a row of READ


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def stored_capture(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> StoredCapture:
    """A row of ``SELECT {READ}`` as a record (a cursor row factory)."""
    keys_end = _KEYS_AT + len(KEY_NAMES)
    return StoredCapture(
        row[0], row[1], row[2], row[3], row[4], json.loads(row[5]), json.loads(row[6]),
        bytes(row[7]), None if row[8] is None else bytes(row[8]), row[9], row[10], row[11],
        row[12], row[13], row[14], row[15], row[16], row[17], row[18],
        _loads(row[19]) or {}, row[20], row[21], _loads(row[22]), _loads(row[23]) or [],
        dict(zip(KEY_NAMES, row[_KEYS_AT:keys_end], strict=True)), row[keys_end],
        _loads(row[keys_end + 1]),
    )


def _read(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> list[StoredCapture]:
    cursor = conn.cursor()
    cursor.row_factory = stored_capture
    return cursor.execute(sql, tuple(params)).fetchall()


_INSERT = (
    f"INSERT INTO captures ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _COLUMNS)})"
)
SQLITE_MAX_INT = 2**63 - 1
# About what a row holds, to size a batch without reading the blobs (length() does not).
_ROW_BYTES = ("length(body) + ifnull(length(decoded_body), 0) + ifnull(length(json_body), 0) "
              "+ length(headers_json) + length(query_json) + 512")


def _blob(value: bytes | None) -> bytearray | None:
    # Python's sqlite3 looks bytes up in its adapter registry before binding; bytearray binds
    # directly as the same BLOB.
    return None if value is None else bytearray(value)


def _row_values(record: CaptureRecord, answer: Answer) -> tuple[Any, ...]:
    keys = record.keys
    return (
        record.channel, record.method, record.path, record.query_string,
        compact_json(record.query), compact_json(record.headers), _blob(record.body),
        _blob(record.decoded_body),
        None if record.form is None else compact_json(record.form), record.json_text,
        record.body_note, record.content_type, record.content_encoding, record.remote_addr,
        record.received_at, record.body_size, record.refused, answer.status,
        compact_json(answer.headers) if answer.headers else None, answer.body,
        record.verdict,
        None if record.verdict_detail is None else compact_json(record.verdict_detail),
        compact_json(record.lint) if record.lint else None, record.replay_key,
        *(keys.get(name) for name in KEY_NAMES), None if record.derived else 0,
    )


CaptureWrite = Callable[[sqlite3.Connection], tuple[int, Answer]]


@functools.lru_cache(maxsize=256)
def _insert_sql(columns: tuple[str, ...]) -> str:
    return (f"INSERT INTO captures ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})")


def _insert(values: tuple[Any, ...]) -> tuple[str, list[Any]]:
    """The INSERT of one capture's row values, naming only the columns that have a value.

    Python's sqlite3 looks ``None`` up in its adapter registry before binding it, which costs
    more than the insert itself when a row carries fifteen empty columns: absent columns
    default to NULL instead.
    """
    columns = tuple(compress(_COLUMNS, [value is not None for value in values]))
    return _insert_sql(columns), [value for value in values if value is not None]


@dataclass(frozen=True)
class CaptureInsert:
    """The work that writes one capture: (capture id, answer) once run in a transaction."""

    row: tuple[Any, ...]  # _row_values
    answer: Answer

    def __call__(self, conn: sqlite3.Connection) -> tuple[int, Answer]:
        sql, params = _insert(self.row)
        return int(conn.execute(sql, params).lastrowid or 0), self.answer

    @staticmethod
    def together(conn: sqlite3.Connection, writes: list[CaptureInsert]
                 ) -> list[tuple[int, Answer]]:
        """The captures of one group commit, together (``GroupWriter``'s ``TOGETHER``). On
        PostgreSQL a statement per capture costs a network round trip, and reading its id
        back another: all rows go at once instead, in psycopg's pipeline (measured in
        docs/architecture.md, "Two databases, one store"). On SQLite a statement is a
        function call: each capture is inserted as if alone."""
        if not isinstance(conn, PgConnection):
            return [write(conn) for write in writes]
        ids = conn.cursor().returning_many(_INSERT_RETURNING, [write.row for write in writes])
        return [(int(row[0]), write.answer) for row, write in zip(ids, writes, strict=True)]


_INSERT_RETURNING = _INSERT + " RETURNING id"


def write_capture(record: CaptureRecord, answer: Answer) -> CaptureWrite:
    """The work that writes one capture."""
    return CaptureInsert(_row_values(record, answer), answer)


def write_numbered(record: CaptureRecord, decide: Callable[[int], Answer]) -> CaptureWrite:
    """Count the request on its channel, decide its answer, and write it, in one transaction.

    The per-channel number drives fail-first-N and seeded failures, so it must be shared by
    every worker process: it lives in the channels row.
    """

    def write(conn: sqlite3.Connection) -> tuple[int, Answer]:
        row = conn.execute(
            "UPDATE channels SET requests = requests + 1 WHERE name = ? RETURNING requests",
            (record.channel,),
        ).fetchone()
        answer = decide(int(row[0]) if row else 1)
        cursor = conn.execute(*_insert(_row_values(record, answer)))
        return int(cursor.lastrowid or 0), answer

    return write


@dataclass
class CaptureFilter:
    """The indexed filters of a capture listing; field conditions are applied by the caller."""

    channel: str | None = None
    method: str | None = None
    since: str | None = None
    since_id: int | None = None
    text: str | None = None
    verdict: str | None = None  # a verdict name, or "none" for captures without one
    keys: dict[str, str] = field(default_factory=dict)
    extra_sql: list[str] = field(default_factory=list)  # pushed-down conditions, parameterised
    extra_params: list[Any] = field(default_factory=list)

    def where(self, postgres: bool = False) -> tuple[str, list[Any]]:
        """The WHERE clause and its parameters (``postgres``: spelled for PostgreSQL, which
        reads a blob as text with ``sandbox_text``, not a CAST)."""
        clauses: list[str] = []
        params: list[Any] = []
        if self.channel is not None:
            clauses.append("channel = ?")
            params.append(self.channel)
        if self.method is not None:
            clauses.append("method = ?")
            params.append(self.method.upper())
        if self.since is not None:
            clauses.append("received_at >= ?")
            params.append(self.since)
        if self.since_id is not None:
            clauses.append("id > ?")
            params.append(self.since_id)
        if self.verdict == "none":
            clauses.append("verdict IS NULL")
        elif self.verdict is not None:
            clauses.append("verdict = ?")
            params.append(self.verdict)
        for key, value in self.keys.items():
            if key not in KEY_NAMES:  # never interpolate a name that is not a known column
                raise ValueError(f"unknown key column {key!r}")
            clauses.append(f"{key} = ?")
            params.append(value)
        if self.text:
            body = ("sandbox_text(coalesce(decoded_body, body))" if postgres
                    else "CAST(coalesce(decoded_body, body) AS TEXT)")
            clauses.append(
                f"instr(path || ' ' || query_string || ' ' || headers_json || ' ' || {body}, ?) > 0"
            )
            params.append(self.text)
        clauses.extend(self.extra_sql)
        params.extend(self.extra_params)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

    @property
    def derived(self) -> bool:
        """Whether it reads what the deriver fills in (else only what was committed raw)."""
        return bool(self.keys or self.text or self.extra_sql)


class CaptureRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def insert(self, record: CaptureRecord, answer: Answer) -> int:
        """Write one capture; answer its id once the group commit holding it is durable."""
        capture_id, _ = self._store.writer.run(write_capture(record, answer))
        return int(capture_id)

    def insert_many(self, records: Sequence[tuple[CaptureRecord, Answer]]) -> None:
        """Write many captures in one transaction (imports and benchmarks)."""
        rows = [_row_values(record, answer) for record, answer in records]

        def write(conn: sqlite3.Connection) -> None:
            conn.executemany(_INSERT, rows)

        self._store.writer.run(write)

    def insert_numbered(
        self, record: CaptureRecord, decide: Callable[[int], Answer]
    ) -> tuple[int, Answer]:
        """Count the request on its channel and write it in the same transaction."""
        result: tuple[int, Answer] = self._store.writer.run(write_numbered(record, decide))
        return result

    def accepted_before(self, channel: str, replay_key: str) -> bool:
        """Whether an earlier capture on ``channel`` with this replay key was answered 2xx
        (a copy of an accepted delivery is a replay; one after a failure is a retry)."""
        row = self._store.connection().execute(
            "SELECT 1 FROM captures WHERE replay_key = ? AND channel = ? "
            "AND response_status BETWEEN 200 AND 299 LIMIT 1",
            (replay_key, channel),
        ).fetchone()
        return row is not None

    def get(self, capture_id: int) -> StoredCapture | None:
        if not 0 <= capture_id <= SQLITE_MAX_INT:  # a URL can name any integer
            return None
        self._store.derivation.settle()
        found = _read(self._store.connection(), f"SELECT {READ} FROM captures WHERE id = ?",
                      (capture_id,))
        return found[0] if found else None

    def page(
        self, filters: CaptureFilter, *, limit: int, before_id: int | None = None,
        after_id: int | None = None, newest_first: bool = True,
    ) -> list[StoredCapture]:
        settled = self._store.derivation.settle()
        where, params = filters.where(self._store.postgres)
        bounds = ["id <= ?"]
        params.append(settled)
        if before_id is not None:
            bounds.append("id < ?")
            params.append(before_id)
        if after_id is not None:
            bounds.append("id > ?")
            params.append(after_id)
        where = (where + " AND " if where else " WHERE ") + " AND ".join(bounds)
        order = "DESC" if newest_first else "ASC"
        sql = f"SELECT {READ} FROM captures{where} ORDER BY id {order} LIMIT ?"
        return _read(self._store.connection(), sql, [*params, limit])

    def iterate(self, filters: CaptureFilter, *, batch: int = 1000) -> Iterator[StoredCapture]:
        """Every matching capture, oldest first, in batches (for exports)."""
        after = 0
        while True:
            rows = self.page(filters, limit=batch, after_id=after, newest_first=False)
            yield from rows
            if len(rows) < batch:
                return
            after = rows[-1].id

    def count(self, filters: CaptureFilter | None = None) -> int:
        """How many captures match: counted at once when ``filters`` read only raw columns
        (every committed capture has them), after the deriver otherwise."""
        filters = filters or CaptureFilter()
        if filters.derived:
            self._store.derivation.settle()
        where, params = filters.where(self._store.postgres)
        row = self._store.connection().execute(f"SELECT count(*) FROM captures{where}", params)
        return int(row.fetchone()[0])

    def select_where(
        self, clause: str, params: Sequence[Any], *, limit: int | None = None
    ) -> list[StoredCapture]:
        """Captures matching a parameterised clause (query/sql_conditions.py), newest first.

        The clause comes from the assertion translator, whose field names never reach SQL:
        only fixed column names and bound parameters do.
        """
        settled = self._store.derivation.settle()
        sql = f"SELECT {READ} FROM captures WHERE ({clause}) AND id <= ? ORDER BY id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return _read(self._store.connection(), sql, [*params, settled])

    def count_where(self, clause: str, params: Sequence[Any]) -> int:
        self._store.derivation.settle()
        sql = f"SELECT count(*) FROM captures WHERE {clause}"
        return int(self._store.connection().execute(sql, tuple(params)).fetchone()[0])

    def count_channel(self, channel: str) -> int:
        return self.count(CaptureFilter(channel=channel))

    def last_id(self) -> int:
        """The newest capture's id (derived or not: an id says nothing half-read)."""
        row = self._store.connection().execute("SELECT max(id) FROM captures").fetchone()
        return int(row[0] or 0)

    def delete(self, channel: str | None = None) -> int:
        """Delete every capture (of ``channel``); answer how many. A full disk is when space is
        wanted most: then the deletion makes room first (sandbox/store/space.py)."""
        conn = self._store.connection()
        where, params = ("WHERE channel = ?", [channel]) if channel is not None else ("", [])
        try:
            deleted = int(conn.execute(f"DELETE FROM captures {where}", params).rowcount)
        except sqlite3.OperationalError as exc:
            if not is_disk_full(exc):
                raise
            deleted = delete_making_room(
                conn, self._store.reserve, lambda: self._delete_batch(conn, where, params))
        self._store.write_health.succeeded()
        return deleted

    @staticmethod
    def _delete_batch(conn: sqlite3.Connection, where: str, params: list[Any]) -> int:
        """Delete the oldest captures holding about ``BATCH_BYTES`` (at least one)."""
        rows = conn.execute(f"SELECT id, {_ROW_BYTES} FROM captures {where} ORDER BY id "
                            "LIMIT 10000", params).fetchall()
        last, total = None, 0
        for capture_id, size in rows:
            if last is not None and total + size > BATCH_BYTES:
                break
            last, total = capture_id, total + size
        if last is None:
            return 0
        bound = "AND id <= ?" if where else "WHERE id <= ?"
        return int(conn.execute(f"DELETE FROM captures {where} {bound}", [*params, last]).rowcount)

    def channel_counts(self) -> list[tuple[str, int, int]]:
        """(channel, captures, newest id) for every channel that has captures (raw columns:
        no waiting for the deriver)."""
        rows = self._store.connection().execute(
            "SELECT channel, count(*), max(id) FROM captures GROUP BY channel ORDER BY channel"
        )
        return [(str(r[0]), int(r[1]), int(r[2])) for r in rows]
