"""A psycopg connection that the store's repositories use as they use a sqlite3 one.

The repositories keep one body of SQL, written with ``?`` placeholders and explicit
transactions (``BEGIN IMMEDIATE`` ... ``COMMIT``), reading rows by index or by column name
and setting ``cursor.row_factory(cursor, row)`` where a row becomes a record. This adapter
gives PostgreSQL that same surface: placeholders become psycopg's ``%s`` (a literal ``%``
is doubled), ``BEGIN IMMEDIATE`` is a plain ``BEGIN`` (PostgreSQL locks rows, not the
file), and rows answer to both indexes and names.

One thing PostgreSQL cannot store that SQLite can: U+0000 in text. A value extracted from a
request can hold one (``?click_id=%00``); it is written as U+FFFD, the replacement
character (the raw request, query string and body as bytes, keeps it).
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg

RowFactory = Callable[[Any, tuple[Any, ...]], Any]
_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|%|\?")  # a string literal, a %, a ?
T = TypeVar("T")


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def as_store_error(call: Callable[..., T]) -> Callable[..., T]:
    """psycopg's errors as the store's (``StoreError`` is sqlite3's): callers above the
    store catch one error type whichever database runs."""
    @functools.wraps(call)
    def wrapped(*args: Any, **kwargs: Any) -> T:
        try:
            return call(*args, **kwargs)
        except psycopg.IntegrityError as exc:
            raise sqlite3.IntegrityError(str(exc).strip()) from exc
        except psycopg.Error as exc:
            raise sqlite3.OperationalError(str(exc).strip()) from exc
    return wrapped


def _storable(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", "\ufffd")
    return value


def _placeholder(match: re.Match[str]) -> str:
    text = match.group()
    if text == "?":
        return "%s"
    return text.replace("%", "%%")  # a % (in a string literal or not) is psycopg's escape


def to_psycopg(sql: str, has_params: bool) -> str:
    """With parameters, ``?`` placeholders (outside string literals) as ``%s`` and every ``%``
    as ``%%``; ``BEGIN IMMEDIATE`` as ``BEGIN``. Without parameters psycopg reads no
    placeholders: the text goes as it is."""
    if sql.lstrip().upper().startswith("BEGIN IMMEDIATE"):
        return "BEGIN"
    if not has_params:
        return sql
    return _PLACEHOLDER.sub(_placeholder, sql)


class Row(tuple[Any, ...]):
    """A row read by index (``row[0]``) or by column name (``row["id"]``), as sqlite3.Row."""

    names: dict[str, int]

    def __new__(cls, values: Iterable[Any], names: dict[str, int]) -> Row:
        row = super().__new__(cls, values)
        row.names = names
        return row

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self.names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self.names)


def _as_row(cursor: PgCursor, values: tuple[Any, ...]) -> Row:
    return Row(values, cursor.names)


class PgCursor:
    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor
        self._connection = cursor.connection
        self.row_factory: RowFactory = _as_row
        self.names: dict[str, int] = {}

    @as_store_error
    def execute(self, sql: str, params: Sequence[Any] = ()) -> PgCursor:
        values = tuple(_storable(value) for value in params)
        self._cursor.execute(to_psycopg(sql, bool(values)), values or None)
        self._read_names()
        return self

    @as_store_error
    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> PgCursor:
        self._cursor.executemany(to_psycopg(sql, True),
                                 [tuple(_storable(value) for value in row) for row in rows])
        return self

    def _read_names(self) -> None:
        description = self._cursor.description
        self.names = {column.name: i for i, column in enumerate(description or ())}

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)

    @property
    def lastrowid(self) -> int | None:
        """The id an INSERT just took: the identity sequence's value in this session (one
        more round trip, paid only where a caller asks, as sqlite3's attribute is free).
        Meaningful after an INSERT into a table with an identity id, as the store uses it."""
        try:
            row = self._connection.execute("SELECT lastval()").fetchone()
        except psycopg.errors.ObjectNotInPrerequisiteState:  # no sequence used yet
            return None
        return None if row is None else int(row[0])

    def fetchone(self) -> Any:
        values = self._cursor.fetchone()
        return None if values is None else self.row_factory(self, values)

    def fetchall(self) -> list[Any]:
        return [self.row_factory(self, values) for values in self._cursor.fetchall()]

    def __iter__(self) -> Iterator[Any]:
        for values in self._cursor:
            yield self.row_factory(self, values)


class PgConnection:
    """One psycopg connection in autocommit mode: transactions are the SQL's own."""

    @as_store_error
    def __init__(self, url: str) -> None:
        self._conn = psycopg.connect(url, autocommit=True)

    def cursor(self) -> PgCursor:
        return PgCursor(self._conn.cursor())

    def execute(self, sql: str, params: Sequence[Any] = ()) -> PgCursor:
        return self.cursor().execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> PgCursor:
        return self.cursor().executemany(sql, rows)

    @property
    def in_transaction(self) -> bool:
        return self._conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    def close(self) -> None:
        self._conn.close()
