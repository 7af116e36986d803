"""Clicks recorded by the click tracker (``GET /c/<campaign>``)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sandbox.store.records import StoredClick

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


def insert_clicks(conn: sqlite3.Connection, clicks: Sequence[NewClick], *,
                  keep_existing: bool = False) -> None:
    """Insert ``clicks`` on ``conn`` (inside the caller's transaction). ``keep_existing``: a
    click id already recorded is left as it is instead of failing (a scenario run again with
    its seed records the same clicks)."""
    conn.executemany(
        "INSERT INTO clicks (click_id, campaign, network, clicked_at, clicked_unix, ip, "
        "user_agent, platform, device_id, hints_json, params_json, redirect) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        + (" ON CONFLICT DO NOTHING" if keep_existing else ""),
        [(c.click_id, c.campaign, c.network, c.clicked_at, c.clicked_unix, c.ip, c.user_agent,
          c.platform, c.device_id, _DUMPS(c.hints), _DUMPS(c.params), c.redirect)
         for c in clicks])


class ClickRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def insert(self, click: NewClick) -> None:
        try:
            self._store.writer.run(lambda conn: insert_clicks(conn, [click]))
        except sqlite3.IntegrityError:
            raise DuplicateClick(click.click_id) from None

    def get(self, click_id: str) -> StoredClick | None:
        row: sqlite3.Row | None = self._store.connection().execute(
            "SELECT * FROM clicks WHERE click_id = ?", (click_id,)).fetchone()
        return None if row is None else stored_click(row)

    def by_device(self, device_ids: list[str], *, before: float) -> list[StoredClick]:
        """Clicks that passed one of ``device_ids``, at or before ``before`` (unix seconds)."""
        if not device_ids:
            return []
        marks = ", ".join("?" for _ in device_ids)
        return [stored_click(row) for row in self._store.connection().execute(
            f"SELECT * FROM clicks WHERE device_id IN ({marks}) AND clicked_unix <= ? "
            "ORDER BY clicked_unix", (*device_ids, before))]

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


def stored_click(row: sqlite3.Row) -> StoredClick:
    return StoredClick(
        row["click_id"], row["campaign"], row["network"], row["clicked_at"],
        float(row["clicked_unix"]), row["ip"], row["user_agent"], row["platform"],
        row["device_id"], json.loads(row["hints_json"] or "{}"),
        json.loads(row["params_json"] or "{}"), row["redirect"])
