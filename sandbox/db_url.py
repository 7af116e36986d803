"""What ``--db`` names: a SQLite file, as a path or a ``sqlite:///`` URL.

``sqlite:///sandbox.db`` is relative to the working folder and ``sqlite:////srv/sandbox.db``
absolute (the usual reading of SQLite URLs: the path is what follows the third slash).
PostgreSQL URLs are recognised and refused with a clear error until the PostgreSQL store
exists (issue 19).
"""

from __future__ import annotations

from sandbox.errors import ConfigError

SQLITE_PREFIX = "sqlite:///"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def sqlite_path(db: str) -> str:
    """The SQLite file ``db`` names; ConfigError (field ``db``) for anything else."""
    if db.startswith(SQLITE_PREFIX):
        path = db[len(SQLITE_PREFIX):]
        if not path:
            raise ConfigError(f"db: {db!r} names no file; expected sqlite:///path/to/file.db",
                              field="db")
        return path
    if db.lower().startswith(POSTGRES_SCHEMES):
        raise ConfigError(
            "db: PostgreSQL is not supported by this version yet; use a SQLite file "
            "(a path or sqlite:///path)", field="db")
    scheme, separator, _ = db.partition("://")
    if separator and scheme.isalnum():
        raise ConfigError(f"db: {scheme}:// is not a database this sandbox opens; expected a "
                          "SQLite file path or sqlite:///path", field="db")
    return db
