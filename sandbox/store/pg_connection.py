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

import contextlib
import functools
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg.pq import TransactionStatus
from psycopg_pool import ConnectionPool

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
    """A cursor over a thread's ``PgConnection``: each ``execute`` runs on the pooled
    connection the session lends it; the rows it answers are read on the client."""

    def __init__(self, session: PgConnection) -> None:
        self._session = session
        self._cursor: psycopg.Cursor[Any] | None = None
        self.row_factory: RowFactory = _as_row
        self.names: dict[str, int] = {}

    @as_store_error
    def execute(self, sql: str, params: Sequence[Any] = ()) -> PgCursor:
        values = tuple(_storable(value) for value in params)
        with self._session.lend() as conn:
            self._cursor = conn.cursor()
            self._cursor.execute(to_psycopg(sql, bool(values)), values or None)
        self._read_names()
        return self

    @as_store_error
    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> PgCursor:
        with self._session.lend() as conn:
            self._cursor = conn.cursor()
            self._cursor.executemany(
                to_psycopg(sql, True), [tuple(_storable(value) for value in row) for row in rows])
        return self

    @as_store_error
    def returning_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> list[Any]:
        """``executemany`` of a statement that returns one row per parameter set (``INSERT
        ... RETURNING``): psycopg sends them all at once (pipeline mode) and answers the rows
        in the order of ``rows``. PostgreSQL only: SQLite's ``executemany`` returns no rows."""
        with self._session.lend() as conn:
            cursor = conn.cursor()
            cursor.executemany(to_psycopg(sql, True),
                               [tuple(_storable(value) for value in row) for row in rows],
                               returning=True)
        self._cursor = cursor
        answered = []
        while True:
            self._read_names()
            answered.append(self.fetchone())
            if not cursor.nextset():
                return answered

    def _read_names(self) -> None:
        description = self._cursor.description if self._cursor is not None else None
        self.names = {column.name: i for i, column in enumerate(description or ())}

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount) if self._cursor is not None else -1

    @property
    def lastrowid(self) -> int | None:
        """The id an INSERT just took: the identity sequence's value in this session (one
        more round trip, paid only where a caller asks, as sqlite3's attribute is free).
        Only inside a transaction, where the connection is still this thread's: outside one
        it went back to the pool with the statement."""
        held = self._session.held
        if held is None or self._cursor is None or self._cursor.connection is not held:
            raise sqlite3.ProgrammingError("lastrowid is only known inside a transaction on "
                                           "PostgreSQL; use RETURNING")
        try:
            row = held.execute("SELECT lastval()").fetchone()
        except psycopg.errors.ObjectNotInPrerequisiteState:  # no sequence used yet
            return None
        return None if row is None else int(row[0])

    def fetchone(self) -> Any:
        values = self._cursor.fetchone() if self._cursor is not None else None
        return None if values is None else self.row_factory(self, values)

    def fetchall(self) -> list[Any]:
        if self._cursor is None:
            return []
        return [self.row_factory(self, values) for values in self._cursor.fetchall()]

    def __iter__(self) -> Iterator[Any]:
        if self._cursor is None:
            return
        for values in self._cursor:
            yield self.row_factory(self, values)


class PgConnection:
    """One thread's way to the database, shaped like a sqlite3 connection. A statement outside
    a transaction borrows a pooled connection for itself and gives it back; a transaction
    (``BEGIN`` ... ``COMMIT`` or ``ROLLBACK``) keeps the one it began on until it ends. So a
    process holds as many connections as statements run at once, up to the pool's limit,
    however many threads (a Flask pool of 128, long-polls) touch the store."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool
        self.held: psycopg.Connection[Any] | None = None  # the connection of an open transaction

    @contextlib.contextmanager
    def lend(self) -> Iterator[psycopg.Connection[Any]]:
        """The connection for one statement: the transaction's, else one from the pool, given
        back unless the statement left a transaction open."""
        conn = self.held or self._pool.getconn()
        try:
            yield conn
        finally:
            idle = conn.info.transaction_status in (TransactionStatus.IDLE,
                                                    TransactionStatus.UNKNOWN)
            if idle or conn.closed:
                self.held = None
                self._pool.putconn(conn)
            else:
                self.held = conn

    def cursor(self) -> PgCursor:
        return PgCursor(self)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> PgCursor:
        return self.cursor().execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> PgCursor:
        return self.cursor().executemany(sql, rows)

    @property
    def in_transaction(self) -> bool:
        return self.held is not None

    def close(self) -> None:
        """Give back the connection of a transaction left open (the pool rolls it back)."""
        held, self.held = self.held, None
        if held is not None:
            self._pool.putconn(held)


@dataclass(frozen=True)
class PoolSettings:
    url: str  # what libpq reads: the URL without the pool's own parameters
    limit: int
    timeout: float


POOL_LIMIT = 8  # connections per process; ?connection_limit=N
POOL_TIMEOUT = 10.0  # seconds a statement waits for a free connection; ?pool_timeout=S


def pool_settings(url: str) -> PoolSettings:
    """The pool's size and wait from the URL's ``connection_limit`` and ``pool_timeout``
    parameters (libpq does not know them: they are taken out); ValueError naming the
    parameter when one is not a positive number."""
    parts = urlsplit(url)
    kept, limit, timeout = [], POOL_LIMIT, POOL_TIMEOUT
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name == "connection_limit":
            limit = _positive(name, value, int)
        elif name == "pool_timeout":
            timeout = _positive(name, value, float)
        else:
            kept.append((name, value))
    query = urlencode(kept, quote_via=quote)  # %20 for a space: libpq reads no '+'
    return PoolSettings(urlunsplit(parts._replace(query=query)), limit, timeout)


def _positive(name: str, value: str, kind: Callable[[str], T]) -> T:
    try:
        number = kind(value)
    except ValueError:
        number = None
    if number is None or not number > 0:  # type: ignore[operator]
        raise ValueError(f"{name}={value!r} in the database URL: expected a positive "
                         f"{'whole number' if kind is int else 'number of seconds'}")
    return number


def open_pool(settings: PoolSettings) -> ConnectionPool:
    """A process's pool: connections open as statements need them, up to the limit."""
    return ConnectionPool(settings.url, min_size=1, max_size=settings.limit,
                          timeout=settings.timeout, kwargs={"autocommit": True},
                          name="sandbox", open=True)
