"""Installs and in-app events from the ingest API, and the device ids that find an install."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sandbox.store.records import StoredEvent, StoredInstall

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
    source: str  # "s2s" | "adjust" | "scenario"


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
    source: str  # "s2s" | "appsflyer" | "adjust" | "scenario"
    params: dict[str, Any] = field(default_factory=dict)
    dropped: str | None = None  # why it was accepted but not recorded (AppsFlyer's quirk)


class DuplicateInstall(Exception):
    """An install id that was already recorded."""


class DuplicateEvent(Exception):
    """An event id that was already recorded."""


def _unless_there(keep_existing: bool) -> str:
    """What ends an INSERT that leaves a row already recorded as it is, or fails on it."""
    return " ON CONFLICT DO NOTHING" if keep_existing else ""


def insert_installs(conn: sqlite3.Connection, installs: Sequence[NewInstall], *,
                    keep_existing: bool = False) -> None:
    """Insert ``installs`` and their device ids on ``conn`` (inside the caller's transaction);
    ``keep_existing``: an install id already recorded is left as it is instead of failing."""
    conn.executemany(
        "INSERT INTO installs (install_id, platform, att_status, device_json, "
        "click_id, match_type, network, campaign, installed_at, installed_unix, received_at, "
        f"source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?){_unless_there(keep_existing)}",
        [(i.install_id, i.platform, i.att_status, _DUMPS(i.device), i.click_id, i.match_type,
          i.network, i.campaign, i.installed_at, i.installed_unix, i.received_at, i.source)
         for i in installs])
    conn.executemany("INSERT INTO device_ids (value, install_id) VALUES (?, ?) "
                     "ON CONFLICT DO NOTHING",
                     [(value, i.install_id) for i in installs for value in i.device_ids])


def insert_events(conn: sqlite3.Connection, events: Sequence[NewEvent], *,
                  keep_existing: bool = False) -> None:
    """Insert ``events`` on ``conn`` (inside the caller's transaction); ``keep_existing`` as
    for ``insert_installs``."""
    conn.executemany(
        "INSERT INTO events (event_id, install_id, name, revenue, currency, "
        "params_json, event_at, event_unix, received_at, source, dropped) "
        f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?){_unless_there(keep_existing)}",
        [(e.event_id, e.install_id, e.name, e.revenue, e.currency, _DUMPS(e.params),
          e.event_at, e.event_unix, e.received_at, e.source, e.dropped) for e in events])


class InstallRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def insert(self, install: NewInstall) -> None:
        try:
            self._store.writer.run(lambda conn: insert_installs(conn, [install]))
        except sqlite3.IntegrityError:
            raise DuplicateInstall(install.install_id) from None

    def get(self, install_id: str) -> StoredInstall | None:
        row: sqlite3.Row | None = self._store.connection().execute(
            "SELECT * FROM installs WHERE install_id = ?", (install_id,)).fetchone()
        return None if row is None else stored_install(row)

    def by_device(self, device_ids: Sequence[str]) -> StoredInstall | None:
        """The newest install that came with one of ``device_ids``."""
        if not device_ids:
            return None
        marks = ", ".join("?" for _ in device_ids)
        row: sqlite3.Row | None = self._store.connection().execute(
            "SELECT installs.* FROM device_ids JOIN installs USING (install_id) "
            f"WHERE device_ids.value IN ({marks}) ORDER BY installs.id DESC LIMIT 1",
            tuple(device_ids)).fetchone()
        return None if row is None else stored_install(row)

    def by_click(self, click_id: str) -> list[StoredInstall]:
        return [stored_install(row) for row in self._store.connection().execute(
            "SELECT * FROM installs WHERE click_id = ? ORDER BY id", (click_id,))]

    def insert_event(self, event: NewEvent) -> None:
        try:
            self._store.writer.run(lambda conn: insert_events(conn, [event]))
        except sqlite3.IntegrityError:
            raise DuplicateEvent(event.event_id) from None

    def events_of(self, install_id: str) -> list[StoredEvent]:
        return [stored_event(row) for row in self._store.connection().execute(
            "SELECT * FROM events WHERE install_id = ? ORDER BY event_unix, id", (install_id,))]

    def occurrences(self, install_id: str, name: str) -> int:
        """How many times ``install_id`` already sent event ``name`` (dropped ones aside)."""
        row = self._store.connection().execute(
            "SELECT count(*) FROM events WHERE install_id = ? AND name = ? AND dropped IS NULL",
            (install_id, name)).fetchone()
        return int(row[0])


def stored_install(row: sqlite3.Row) -> StoredInstall:
    return StoredInstall(
        row["install_id"], row["platform"], row["att_status"], json.loads(row["device_json"]),
        row["click_id"], row["match_type"], row["network"], row["campaign"],
        row["installed_at"], float(row["installed_unix"]), row["received_at"], row["source"])


def stored_event(row: sqlite3.Row) -> StoredEvent:
    return StoredEvent(
        row["event_id"], row["install_id"], row["name"], row["revenue"], row["currency"],
        json.loads(row["params_json"] or "{}"), row["event_at"], float(row["event_unix"]),
        row["received_at"], row["source"], row["dropped"])
