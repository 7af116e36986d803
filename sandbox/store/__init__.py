"""The only code that speaks SQL. ``Store`` owns one database and hands out repositories.

SQLite by default: one file, one connection per thread (SQLite connections are not shared
across threads); WAL mode so readers never block the writer and several worker processes can
write safely. With ``synchronous=NORMAL`` a committed transaction survives the process being
killed (only a power cut can lose the newest commits), which is the durability a local
sandbox promises.

PostgreSQL for a ``postgresql://`` URL: a bounded pool of connections per process, lent to a
thread for one statement or one transaction, through ``pg_connection.py``, which lets the
repositories' SQL run unchanged, and the schema of ``pg_schema.py``. No file beside the
database (no checkpointer, disk-full reserve or health file); channel-settings changes are
announced with NOTIFY (``pg_settings_version.py``). See docs/architecture.md, "Two databases,
one store".
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from sandbox.db_url import is_postgres, sqlite_path
from sandbox.errors import ConfigError
from sandbox.store.captures import CaptureRepository
from sandbox.store.channels import ChannelRepository
from sandbox.store.checkpointer import WAL_LIMIT, Checkpointer
from sandbox.store.clicks import ClickRepository
from sandbox.store.deliveries import DeliveryRepository
from sandbox.store.derivation import DerivationRepository
from sandbox.store.forwards import ForwardRepository
from sandbox.store.installs import InstallRepository
from sandbox.store.live_config import LiveConfigRepository
from sandbox.store.numbers import SQL_FUNCTIONS
from sandbox.store.pg_connection import PgConnection, open_pool, pool_settings, redact
from sandbox.store.pg_schema import migrate_pg
from sandbox.store.pg_settings_version import NotifiedSettingsVersion
from sandbox.store.runs import RunRepository
from sandbox.store.schema import MIGRATIONS, migrate
from sandbox.store.sessions import SessionRepository
from sandbox.store.settings_version import SettingsVersion
from sandbox.store.skan_keys import SkanKeyRepository
from sandbox.store.space import SpaceReserve, WriteHealth, is_disk_full
from sandbox.store.writer import GroupWriter, closed_error

__all__ = ["Store", "SCHEMA_VERSION"]

SCHEMA_VERSION = len(MIGRATIONS)
BUSY_TIMEOUT_MS = 30_000
MMAP_BYTES = 1 << 30


class Store:
    def __init__(self, path: str | Path) -> None:
        self.postgres = is_postgres(str(path))
        self.path = str(path) if self.postgres else sqlite_path(str(path))
        self._local = threading.local()
        self._all: list[Any] = []
        self._all_lock = threading.Lock()
        self.closed = False
        self._pool: ConnectionPool | None = self._open_pool() if self.postgres else None
        try:
            conn = self.connection()
            if self.postgres:
                migrate_pg(conn, len(MIGRATIONS))
            else:
                conn.execute("PRAGMA journal_mode=WAL")
                migrate(conn)
        except (sqlite3.Error, psycopg.Error) as exc:
            raise ConfigError(f"cannot open database {self.where}: {exc}") from None
        files = not self.postgres and self.path != ":memory:"  # the files beside the database
        lock = f"{self.path}.lock" if files else None
        self.reserve = SpaceReserve(None if lock is None else self.path)
        self.write_health = WriteHealth(None if lock is None else f"{self.path}.health")
        self.checkpointer = Checkpointer(self.connection, self.reserve.restore,
                                         None if lock is None else f"{self.path}-wal")
        self.settings_version: SettingsVersion | NotifiedSettingsVersion = (
            NotifiedSettingsVersion(self._libpq_url, self._announce) if self.postgres
            else SettingsVersion(None if lock is None else f"{self.path}.settings"))
        # On PostgreSQL a commit is a network round trip: the event loop hands it to a thread.
        self.writer = GroupWriter(self.connection, lock, self._committed,
                                  on_loop=not self.postgres)
        self.captures = CaptureRepository(self)
        self.derivation = DerivationRepository(self)
        self.channels = ChannelRepository(self)
        self.runs = RunRepository(self)
        self.deliveries = DeliveryRepository(self)
        self.skan_keys = SkanKeyRepository(self)
        self.clicks = ClickRepository(self)
        self.installs = InstallRepository(self)
        self.live_config = LiveConfigRepository(self)
        self.forwards = ForwardRepository(self)
        self.sessions = SessionRepository(self)

    def _open_pool(self) -> ConnectionPool:
        """The PostgreSQL connection pool, once one connection shows the database is there
        (the pool itself would only time out, without saying why)."""
        try:
            settings = pool_settings(self.path)
        except ValueError as exc:
            raise ConfigError(f"db: {exc}", field="db") from None
        self._libpq_url = settings.url
        try:
            psycopg.connect(settings.url, connect_timeout=10).close()
        except psycopg.Error as exc:
            raise ConfigError(f"cannot open database {self.where}: {exc}") from None
        return open_pool(settings)

    def _announce(self, statement: str) -> None:
        self.connection().execute(statement)

    def _committed(self, error: BaseException | None) -> None:
        if not self.postgres:
            self.checkpointer.committed()
        if error is None:
            self.write_health.succeeded()
        elif is_disk_full(error):
            self.write_health.failed()

    @property
    def where(self) -> str:
        """The database, as a message may name it (a URL without its password)."""
        return redact(self.path) if self.postgres else self.path

    def connection(self) -> Any:
        """This thread's connection, opened on first use."""
        conn: Any = getattr(self._local, "conn", None)
        if conn is None and self._pool is not None:
            with self._all_lock:  # close() gives back what a thread's transaction holds
                if self.closed:  # a thread late for a closed store opens none to leak
                    raise closed_error()
                conn = PgConnection(self._pool)
                self._all.append(conn)
            self._local.conn = conn
        if conn is None:
            if self.path != ":memory:":
                parent = Path(self.path).resolve().parent
                if not parent.is_dir():
                    raise ConfigError(f"cannot open database {self.path}: no folder {parent}")
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30
            )
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer thread does it
            conn.execute(f"PRAGMA journal_size_limit={WAL_LIMIT}")  # the WAL file's size says
            # Reading pages through a memory map roughly halves the cost of scans (JSON-path
            # assertions over 100,000 rows); it reserves address space, not memory.
            conn.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
            conn.row_factory = sqlite3.Row
            for name, (arity, function) in SQL_FUNCTIONS.items():
                conn.create_function(name, arity, function, deterministic=True)
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        self.settings_version.close()  # on PostgreSQL it wakes its listener through the store
        self.closed = True
        self.checkpointer.stop()
        if self._all and not self.postgres:
            self.checkpointer.checkpoint()
        self.writer.close()
        self.write_health.close()
        with self._all_lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        if self._pool is not None:
            self._pool.close()
        self._local = threading.local()

    def check_writable(self) -> None:
        """Take and release the write lock once, so a read-only file fails before serving."""
        conn = self.connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
            if self.postgres:  # a write that is rolled back: refused for a read-only role
                conn.execute("UPDATE deriver SET expires = expires WHERE id = 1")
            conn.execute("ROLLBACK")
        except (sqlite3.Error, psycopg.Error) as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise ConfigError(f"database {self.where} is not writable: {exc}") from None

    def integrity_check(self) -> str:
        if self.postgres:  # PostgreSQL checks its pages itself
            return "ok"
        return str(self.connection().execute("PRAGMA integrity_check").fetchone()[0])
