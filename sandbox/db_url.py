"""What ``--db`` names: a SQLite file, as a path or a ``sqlite:///`` URL, or a PostgreSQL
database, as a ``postgresql://`` URL.

``sqlite:///sandbox.db`` is relative to the working folder and ``sqlite:////srv/sandbox.db``
absolute (the usual reading of SQLite URLs: the path is what follows the third slash).
"""

from __future__ import annotations

from sandbox.errors import ConfigError

SQLITE_PREFIX = "sqlite:///"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def database(db: str) -> str:
    """What ``db`` names, as the store opens it: a PostgreSQL URL as given, else the SQLite
    file's path; ConfigError (field ``db``) for anything else."""
    return db if is_postgres(db) else sqlite_path(db)


def sqlite_path(db: str) -> str:
    """The SQLite file ``db`` names; ConfigError (field ``db``) for anything else."""
    if db.startswith(SQLITE_PREFIX):
        path = db[len(SQLITE_PREFIX):]
        if not path:
            raise ConfigError(f"db: {db!r} names no file; expected sqlite:///path/to/file.db",
                              field="db")
        return path
    scheme, separator, _ = db.partition("://")
    if separator and scheme.isalnum():
        raise ConfigError(f"db: {scheme}:// is not a database this sandbox opens; expected a "
                          "SQLite file path, sqlite:///path or postgresql://...", field="db")
    return db


def is_postgres(db: str) -> bool:
    return db.lower().startswith(POSTGRES_SCHEMES)
