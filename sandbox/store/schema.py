"""The versioned schema. Each migration runs once, in order; PRAGMA user_version counts them.

A released migration is never edited: a later change ships a new one, plus a test that opens a
database made by the previous version.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import sqlite3
from collections.abc import Callable

from sandbox.errors import ConfigError
from sandbox.store import migrations

Migration = Callable[[sqlite3.Connection], None]


def run_script(conn: sqlite3.Connection, script: str) -> None:
    # executescript() would COMMIT the migration's transaction early; run statements one by one.
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _discover() -> list[Migration]:
    """Each migration is a module ``migrations/vNNNN_name.py`` with a SQL script or a
    ``migrate(conn)`` function; they run in file-name order."""
    found = []
    for module in sorted(pkgutil.iter_modules(migrations.__path__), key=lambda m: m.name):
        loaded = importlib.import_module(f"{migrations.__name__}.{module.name}")
        if hasattr(loaded, "migrate"):
            found.append(loaded.migrate)
        else:
            found.append(functools.partial(run_script, script=loaded.SQL))
    return found


MIGRATIONS: list[Migration] = _discover()


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database up to the newest version; answer the version it is at."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    if current > len(MIGRATIONS):
        raise ConfigError(
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
