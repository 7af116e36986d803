"""Installs and in-app events from the ingest API, and the device ids that find an install."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.store import Store

_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


@dataclass(frozen=True)
class NewInstall:
    install_id: str
    platform: str
    att_status: int | None
    device: dict[str, Any]
    device_ids: tuple[str, ...]  # every id it came with (looked up by events)
    click_id: str | None
    match_type: str  # "click_id" | "id_matching" | "organic"
    network: str | None
    campaign: str | None
    installed_at: str
    installed_unix: float
    received_at: str
    source: str  # "s2s" | "adjust"


@dataclass(frozen=True)
class NewEvent:
    event_id: str
    install_id: str | None
    name: str
    revenue: float | None
    currency: str | None
    event_at: str
    event_unix: float
    received_at: str
    source: str  # "s2s" | "appsflyer" | "adjust"
    params: dict[str, Any] = field(default_factory=dict)
    dropped: str | None = None  # why it was accepted but not recorded (AppsFlyer's quirk)


class DuplicateInstall(Exception):
    """An install id that was already recorded."""


class DuplicateEvent(Exception):
    """An event id that was already recorded."""


class InstallRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def insert(self, install: NewInstall) -> None:
        values = (
            install.install_id, install.platform, install.att_status, _DUMPS(install.device),
            install.click_id, install.match_type, install.network, install.campaign,
            install.installed_at, install.installed_unix, install.received_at, install.source,
        )
        ids = [(value, install.install_id) for value in install.device_ids]

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO installs (install_id, platform, att_status, device_json, click_id, "
                "match_type, network, campaign, installed_at, installed_unix, received_at, "
                "source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
            conn.executemany("INSERT OR IGNORE INTO device_ids (value, install_id) "
                             "VALUES (?, ?)", ids)

        try:
            self._store.writer.run(write)
        except sqlite3.IntegrityError:
            raise DuplicateInstall(install.install_id) from None

    def get(self, install_id: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self._store.connection().execute(
            "SELECT * FROM installs WHERE install_id = ?", (install_id,)).fetchone()
        return row

    def by_device(self, device_ids: Sequence[str]) -> sqlite3.Row | None:
        """The newest install that came with one of ``device_ids``."""
        if not device_ids:
            return None
        marks = ", ".join("?" for _ in device_ids)
        row: sqlite3.Row | None = self._store.connection().execute(
            "SELECT installs.* FROM device_ids JOIN installs USING (install_id) "
            f"WHERE device_ids.value IN ({marks}) ORDER BY installs.id DESC LIMIT 1",
            tuple(device_ids)).fetchone()
        return row

    def by_click(self, click_id: str) -> list[sqlite3.Row]:
        return list(self._store.connection().execute(
            "SELECT * FROM installs WHERE click_id = ? ORDER BY id", (click_id,)))

    def attributed(self, *, network: str | None, since: str | None) -> list[sqlite3.Row]:
        clauses, params = ["click_id IS NOT NULL"], []
        if network is not None:
            clauses.append("network = ?")
            params.append(network)
        if since is not None:
            clauses.append("installed_at >= ?")
            params.append(since)
        return list(self._store.connection().execute(
            f"SELECT * FROM installs WHERE {' AND '.join(clauses)} ORDER BY id", params))

    def insert_event(self, event: NewEvent) -> None:
        values = (
            event.event_id, event.install_id, event.name, event.revenue, event.currency,
            _DUMPS(event.params), event.event_at, event.event_unix, event.received_at,
            event.source, event.dropped,
        )
        try:
            self._store.writer.run(lambda conn: conn.execute(
                "INSERT INTO events (event_id, install_id, name, revenue, currency, "
                "params_json, event_at, event_unix, received_at, source, dropped) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values))
        except sqlite3.IntegrityError:
            raise DuplicateEvent(event.event_id) from None

    def events_of(self, install_id: str) -> list[sqlite3.Row]:
        return list(self._store.connection().execute(
            "SELECT * FROM events WHERE install_id = ? ORDER BY event_unix, id", (install_id,)))

    def occurrences(self, install_id: str, name: str) -> int:
        """How many times ``install_id`` already sent event ``name`` (dropped ones aside)."""
        row = self._store.connection().execute(
            "SELECT count(*) FROM events WHERE install_id = ? AND name = ? AND dropped IS NULL",
            (install_id, name)).fetchone()
        return int(row[0])
