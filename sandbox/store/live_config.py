"""Networks, campaigns and MMP settings of the live loop, configured at run time.

Specs are stored as the JSON the config file or the API gave (the scenario schema's network
and campaign shapes), so every worker process rebuilds the same model from them.
``version`` changes with every write, so a process can cache what it built.
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

from sandbox.clock import SystemClock, iso_utc

if TYPE_CHECKING:
    from sandbox.store import Store

_VERSION_COUNTER = "live_config_version"


class LiveConfigRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def _write(self, statements: list[tuple[str, tuple[Any, ...]]]) -> None:
        def write(conn: sqlite3.Connection) -> None:
            for sql, params in statements:
                conn.execute(sql, params)
            conn.execute(
                "INSERT INTO counters (name, value) VALUES (?, 1) "
                "ON CONFLICT(name) DO UPDATE SET value = counters.value + 1", (_VERSION_COUNTER,))

        self._store.writer.run(write)

    def version(self) -> int:
        row = self._store.connection().execute(
            "SELECT value FROM counters WHERE name = ?", (_VERSION_COUNTER,)).fetchone()
        return int(row[0]) if row else 0

    def put_network(self, name: str, spec: dict[str, Any]) -> None:
        self._write([(
            "INSERT INTO live_networks (name, spec_json, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET spec_json = excluded.spec_json, "
            "updated_at = excluded.updated_at",
            (name, json.dumps(spec, sort_keys=True), _now()))])

    def delete_network(self, name: str) -> bool:
        """Remove a network and its campaigns; False when there was none."""
        if self.network(name) is None:
            return False
        self._write([("DELETE FROM live_campaigns WHERE network = ?", (name,)),
                     ("DELETE FROM live_networks WHERE name = ?", (name,))])
        return True

    def network(self, name: str) -> dict[str, Any] | None:
        row = self._store.connection().execute(
            "SELECT spec_json FROM live_networks WHERE name = ?", (name,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def networks(self) -> dict[str, dict[str, Any]]:
        rows = self._store.connection().execute(
            "SELECT name, spec_json FROM live_networks ORDER BY name")
        return {str(r[0]): json.loads(r[1]) for r in rows}

    def put_campaign(
        self, name: str, network: str, spec: dict[str, Any], redirect: str | None
    ) -> None:
        self._write([(
            "INSERT INTO live_campaigns (name, network, spec_json, redirect, updated_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET network = excluded.network, "
            "spec_json = excluded.spec_json, redirect = excluded.redirect, "
            "updated_at = excluded.updated_at",
            (name, network, json.dumps(spec, sort_keys=True), redirect, _now()))])

    def delete_campaign(self, name: str) -> bool:
        if self.campaign(name) is None:
            return False
        self._write([("DELETE FROM live_campaigns WHERE name = ?", (name,))])
        return True

    def campaign(self, name: str) -> dict[str, Any] | None:
        row = self._store.connection().execute(
            "SELECT name, network, spec_json, redirect, updated_at FROM live_campaigns "
            "WHERE name = ?", (name,)).fetchone()
        return None if row is None else _campaign(row)

    def campaigns(self) -> list[dict[str, Any]]:
        rows = self._store.connection().execute(
            "SELECT name, network, spec_json, redirect, updated_at FROM live_campaigns "
            "ORDER BY name")
        return [_campaign(r) for r in rows]

    def put_setting(self, name: str, value: Any) -> None:
        self._write([(
            "INSERT INTO live_settings (name, value_json) VALUES (?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value_json = excluded.value_json",
            (name, json.dumps(value, sort_keys=True)))])

    def setting(self, name: str) -> Any:
        row = self._store.connection().execute(
            "SELECT value_json FROM live_settings WHERE name = ?", (name,)).fetchone()
        return None if row is None else json.loads(row[0])


def _campaign(row: sqlite3.Row) -> dict[str, Any]:
    return {"name": row["name"], "network": row["network"], "spec": json.loads(row["spec_json"]),
            "redirect": row["redirect"], "updated_at": row["updated_at"]}


def _now() -> str:
    return iso_utc(SystemClock().now())
