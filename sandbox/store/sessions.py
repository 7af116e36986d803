"""Inspector login sessions: opened at login, looked up per request, deleted at logout.

Rows are keyed by a digest the admin gate computes; the store never sees a session id or a
token. Times are seconds since the epoch, from the caller's clock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.store import Store


class SessionRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def open(self, digest: str, *, now: float, expired_before: float) -> None:
        """Record a new session, and forget the ones opened before ``expired_before``."""
        conn = self._store.connection()
        conn.execute("DELETE FROM sessions WHERE opened_at < ?", (expired_before,))
        conn.execute("INSERT INTO sessions (digest, opened_at) VALUES (?, ?) "
                     "ON CONFLICT (digest) DO UPDATE SET opened_at = excluded.opened_at",
                     (digest, now))

    def is_open(self, digest: str, *, opened_after: float) -> bool:
        row = self._store.connection().execute(
            "SELECT 1 FROM sessions WHERE digest = ? AND opened_at >= ?",
            (digest, opened_after)).fetchone()
        return row is not None

    def close(self, digest: str) -> None:
        self._store.connection().execute("DELETE FROM sessions WHERE digest = ?", (digest,))
