"""Clicks recorded by the click tracker (``GET /c/<campaign>``)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.store import Store

_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


@dataclass(frozen=True)
class NewClick:
    click_id: str
    campaign: str
    network: str
    clicked_at: str  # ISO-8601 UTC, as iso_utc writes it
    clicked_unix: float
    ip: str | None
    user_agent: str | None
    platform: str | None
    device_id: str | None  # a device id the tracking link passed, for device matching
    hints: dict[str, Any] = field(default_factory=dict)
    params: dict[str, list[str]] = field(default_factory=dict)
    redirect: str | None = None


class DuplicateClick(Exception):
    """A click id that was already recorded."""


class ClickRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def insert(self, click: NewClick) -> int:
        values = (
            click.click_id, click.campaign, click.network, click.clicked_at, click.clicked_unix,
            click.ip, click.user_agent, click.platform, click.device_id, _DUMPS(click.hints),
            _DUMPS(click.params), click.redirect,
        )

        def write(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "INSERT INTO clicks (click_id, campaign, network, clicked_at, clicked_unix, ip, "
                "user_agent, platform, device_id, hints_json, params_json, redirect) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
            return int(cursor.lastrowid or 0)

        try:
            return int(self._store.writer.run(write))
        except sqlite3.IntegrityError:
            raise DuplicateClick(click.click_id) from None

    def get(self, click_id: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self._store.connection().execute(
            "SELECT * FROM clicks WHERE click_id = ?", (click_id,)).fetchone()
        return row

    def by_device(self, device_ids: list[str], *, before: float) -> list[sqlite3.Row]:
        """Clicks that passed one of ``device_ids``, at or before ``before`` (unix seconds)."""
        if not device_ids:
            return []
        marks = ", ".join("?" for _ in device_ids)
        return list(self._store.connection().execute(
            f"SELECT * FROM clicks WHERE device_id IN ({marks}) AND clicked_unix <= ? "
            "ORDER BY clicked_unix", (*device_ids, before)))

    def ids_since(self, *, network: str | None, since: str | None) -> list[str]:
        clauses, params = [], []
        if network is not None:
            clauses.append("network = ?")
            params.append(network)
        if since is not None:
            clauses.append("clicked_at >= ?")
            params.append(since)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        rows = self._store.connection().execute(
            f"SELECT click_id FROM clicks{where} ORDER BY id", params)
        return [str(r[0]) for r in rows]

    def known(self, click_ids: list[str]) -> set[str]:
        """Which of ``click_ids`` were issued."""
        found: set[str] = set()
        for start in range(0, len(click_ids), 500):
            chunk = click_ids[start:start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self._store.connection().execute(
                f"SELECT click_id FROM clicks WHERE click_id IN ({marks})", chunk)
            found.update(str(r[0]) for r in rows)
        return found

    def count(self) -> int:
        return int(self._store.connection().execute("SELECT count(*) FROM clicks").fetchone()[0])
