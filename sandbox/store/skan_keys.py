"""The sandbox's SKAN / AdAttributionKit signing keys: one current, the retired ones kept.

Plain text in, plain rows out: key material is made and parsed by the signing core
(``sandbox/skan/keyring.py``); this module only stores it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.store import Store

_COLUMNS = "id, key_id, public_key, private_pem, created_at, retired_at"


@dataclass(frozen=True)
class StoredKey:
    id: int
    key_id: str
    public_key: str  # base64 DER SubjectPublicKeyInfo (Apple's form)
    private_pem: str  # PKCS#8 PEM
    created_at: str
    retired_at: str | None

    @property
    def current(self) -> bool:
        return self.retired_at is None


def _row(row: sqlite3.Row) -> StoredKey:
    return StoredKey(int(row["id"]), row["key_id"], row["public_key"], row["private_pem"],
                     row["created_at"], row["retired_at"])


class SkanKeyRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def current(self) -> StoredKey | None:
        row = self._store.connection().execute(
            f"SELECT {_COLUMNS} FROM skan_keys WHERE current = 1").fetchone()
        return None if row is None else _row(row)

    def all(self) -> list[StoredKey]:
        """Every key, newest first (the current one, then the retired ones)."""
        rows = self._store.connection().execute(
            f"SELECT {_COLUMNS} FROM skan_keys ORDER BY id DESC")
        return [_row(row) for row in rows]

    def version(self) -> int:
        """Changes whenever a key is added (keys are never deleted): a cheap cache check."""
        row = self._store.connection().execute("SELECT max(id) FROM skan_keys").fetchone()
        return int(row[0] or 0)

    def add(self, key_id: str, public_key: str, private_pem: str, at: str, *,
            retire_current: bool) -> StoredKey:
        """Make a new current key. Without ``retire_current`` it is added only when there is
        no current key yet (another process may have just made one: that one is answered)."""
        conn = self._store.connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            existing = conn.execute(
                f"SELECT {_COLUMNS} FROM skan_keys WHERE current = 1").fetchone()
            if existing is not None and not retire_current:
                conn.execute("COMMIT")
                return _row(existing)
            conn.execute("UPDATE skan_keys SET current = NULL, retired_at = ? "
                         "WHERE current = 1", (at,))
            conn.execute(
                "INSERT INTO skan_keys (key_id, public_key, private_pem, created_at, current) "
                "VALUES (?, ?, ?, ?, 1)", (key_id, public_key, private_pem, at))
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM skan_keys WHERE current = 1").fetchone()
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return _row(row)
