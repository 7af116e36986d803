"""Channel answer settings: stored so every worker process sees the same settings and counters."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sandbox.clock import SystemClock, iso_utc

if TYPE_CHECKING:
    from sandbox.store import Store


class ChannelRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def settings_json(self, name: str) -> str | None:
        """The stored answer settings of a channel as JSON text, or None when it has none."""
        row = (
            self._store.connection()
            .execute("SELECT answer_json FROM channels WHERE name = ?", (name,))
            .fetchone()
        )
        return None if row is None else str(row[0])

    def get(self, name: str) -> dict[str, Any] | None:
        row = (
            self._store.connection()
            .execute(
                "SELECT name, answer_json, updated_at, requests FROM channels WHERE name = ?",
                (name,),
            )
            .fetchone()
        )
        if row is None:
            return None
        return {
            "answer": json.loads(row["answer_json"]),
            "updated_at": row["updated_at"],
            "requests": row["requests"],
        }

    def put(self, name: str, answer: dict[str, Any]) -> None:
        """Set a channel's answer; its request counter restarts so fail_first applies anew."""
        self._store.connection().execute(
            "INSERT INTO channels (name, answer_json, updated_at, requests) VALUES (?, ?, ?, 0) "
            "ON CONFLICT(name) DO UPDATE SET answer_json = excluded.answer_json, "
            "updated_at = excluded.updated_at, requests = 0",
            (name, json.dumps(answer, sort_keys=True), iso_utc(SystemClock().now())),
        )

    def delete(self, name: str) -> bool:
        cursor = self._store.connection().execute("DELETE FROM channels WHERE name = ?", (name,))
        return cursor.rowcount > 0

    def configured(self) -> list[str]:
        rows = self._store.connection().execute("SELECT name FROM channels ORDER BY name")
        return [str(r[0]) for r in rows]
