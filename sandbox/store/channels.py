"""Channel settings (answer, verification and forward): stored so every worker process sees
the same settings and counters."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sandbox.clock import SystemClock, iso_utc

if TYPE_CHECKING:
    from sandbox.store import Store


class ChannelRepository:
    def __init__(self, store: Store) -> None:
        self._store = store
        # name -> (settings version it was read at, texts); see settings_version.py
        self._cache: dict[str, tuple[int, tuple[str, str | None, str | None] | None]] = {}

    def settings_texts(self, name: str) -> tuple[str, str | None, str | None] | None:
        """(answer, verification, forward) JSON texts of a channel, or None when it has none:
        the receiver's one read per request, served from a cache while no process has changed
        any channel's settings."""
        version = self._store.settings_version
        seen = version.read()
        cached = self._cache.get(name)
        if cached is not None and cached[0] == seen and version.shared:
            return cached[1]
        row = (
            self._store.connection()
            .execute(
                "SELECT answer_json, verification_json, forward_json FROM channels WHERE name = ?",
                (name,),
            )
            .fetchone()
        )
        texts = None if row is None else (str(row[0]), row[1], row[2])
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[name] = (seen, texts)
        return texts

    def get(self, name: str) -> dict[str, Any] | None:
        row = (
            self._store.connection()
            .execute(
                "SELECT name, answer_json, verification_json, forward_json, updated_at, requests "
                "FROM channels WHERE name = ?",
                (name,),
            )
            .fetchone()
        )
        if row is None:
            return None
        verification, forward = row["verification_json"], row["forward_json"]
        return {
            "answer": json.loads(row["answer_json"]),
            "verification": None if verification is None else json.loads(verification),
            "forward": None if forward is None else json.loads(forward),
            "updated_at": row["updated_at"],
            "requests": row["requests"],
        }

    def put(
        self, name: str, answer: dict[str, Any], verification: dict[str, Any] | None = None,
        forward: dict[str, Any] | None = None,
    ) -> None:
        """Set a channel's answer, verification and forward (None: none) in one statement; its
        request counter restarts so fail_first applies anew. The verification dict is stored
        as configured: secrets given as ``{"env": NAME}`` stay references."""
        self._store.connection().execute(
            "INSERT INTO channels (name, answer_json, verification_json, forward_json, "
            "updated_at, requests) VALUES (?, ?, ?, ?, ?, 0) "
            "ON CONFLICT(name) DO UPDATE SET answer_json = excluded.answer_json, "
            "verification_json = excluded.verification_json, "
            "forward_json = excluded.forward_json, "
            "updated_at = excluded.updated_at, requests = 0",
            (
                name,
                json.dumps(answer, sort_keys=True),
                None if verification is None else json.dumps(verification, sort_keys=True),
                None if forward is None else json.dumps(forward, sort_keys=True),
                iso_utc(SystemClock().now()),
            ),
        )
        self._store.settings_version.bump()

    def verifications(self) -> list[Any]:
        """Every configured verification dict (for masking their secrets in views)."""
        rows = self._store.connection().execute(
            "SELECT verification_json FROM channels WHERE verification_json IS NOT NULL"
        )
        return [json.loads(r[0]) for r in rows]

    def delete(self, name: str) -> bool:
        cursor = self._store.connection().execute("DELETE FROM channels WHERE name = ?", (name,))
        self._store.settings_version.bump()
        return cursor.rowcount > 0

    def configured(self) -> list[str]:
        rows = self._store.connection().execute("SELECT name FROM channels ORDER BY name")
        return [str(r[0]) for r in rows]
