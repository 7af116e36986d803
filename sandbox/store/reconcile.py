"""The SQL behind ``GET /api/reconcile``: what a channel received, keyed by click id, against
the clicks issued, the installs attributed and the install postbacks delivered.

Only accepted captures count (answered 2xx): a retry after a failure is not a duplicate.
``key`` is a capture key column, checked against a fixed list before it reaches SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.store import Store

KEY_COLUMNS = ("click_id", "transaction_id")
ACCEPTED = "response_status BETWEEN 200 AND 299"


@dataclass(frozen=True)
class Scope:
    channel: str
    key: str
    network: str | None
    since: str | None

    def __post_init__(self) -> None:
        if self.key not in KEY_COLUMNS:  # never interpolate a name that is not a known column
            raise ValueError(f"unknown key column {self.key!r}")

    def capture_where(self, alias: str = "") -> tuple[str, list[str]]:
        prefix = f"{alias}." if alias else ""
        clauses = [f"{prefix}channel = ?", f"{prefix}{ACCEPTED}"]
        params = [self.channel]
        if self.since is not None:
            clauses.append(f"{prefix}received_at >= ?")
            params.append(self.since)
        return " AND ".join(clauses), params


def _ids(concatenated: object) -> list[int]:
    """The ids ``group_concat`` joined, in order (it promises no order of its own)."""
    return sorted(int(i) for i in str(concatenated).split(","))


def key_groups(store: Store, scope: Scope) -> list[tuple[str | None, str | None, list[int]]]:
    """(key value, event name, capture ids) for every group of accepted captures that are
    duplicates of each other: an install postback (no event name) arrives once per click, so
    any two are; an event may happen again (a second purchase, another time and revenue), so
    only the same request twice (method, path, query and body) is."""
    store.derivation.settle()
    where, params = scope.capture_where()
    rows = store.connection().execute(
        f"SELECT {scope.key}, event_name, group_concat(id) FROM captures WHERE {where} "
        f"GROUP BY {scope.key}, event_name, "
        "CASE WHEN event_name IS NULL THEN '' ELSE method || ' ' || path || '?' || query_string "
        "END, CASE WHEN event_name IS NULL THEN NULL ELSE body END ORDER BY min(id)", params)
    return [(r[0], r[1], _ids(r[2])) for r in rows]


def unknown_keys(store: Store, scope: Scope) -> list[tuple[str, list[int]]]:
    """Key values on accepted captures that no click carries."""
    store.derivation.settle()
    where, params = scope.capture_where("c")
    rows = store.connection().execute(
        f"SELECT c.{scope.key}, group_concat(c.id) FROM captures c "
        f"LEFT JOIN clicks k ON k.click_id = c.{scope.key} "
        f"WHERE {where} AND c.{scope.key} IS NOT NULL AND k.id IS NULL "
        f"GROUP BY c.{scope.key} ORDER BY min(c.id)", params)
    return [(str(r[0]), _ids(r[1])) for r in rows]


def installs_without_capture(store: Store, scope: Scope) -> list[tuple[str, str]]:
    """(install id, click id) of attributed installs no accepted capture names."""
    store.derivation.settle()
    where, params = scope.capture_where("c")
    clauses, outer = ["i.click_id IS NOT NULL"], []
    if scope.network is not None:
        clauses.append("i.network = ?")
        outer.append(scope.network)
    if scope.since is not None:
        clauses.append("i.installed_at >= ?")
        outer.append(scope.since)
    rows = store.connection().execute(
        f"SELECT i.install_id, i.click_id FROM installs i WHERE {' AND '.join(clauses)} "
        f"AND NOT EXISTS (SELECT 1 FROM captures c WHERE c.{scope.key} = i.click_id "
        f"AND {where}) ORDER BY i.id", [*outer, *params])
    return [(str(r[0]), str(r[1])) for r in rows]


def installs_delivered_twice(store: Store, network: str | None) -> list[tuple[str, int, int]]:
    """(install id, deliveries, accepted attempts) of live installs whose install postback was
    answered 2xx more than once: by two deliveries, or by one delivery and its re-send."""
    clause, params = ("AND d.network = ?", [network]) if network is not None else ("", [])
    rows = store.connection().execute(
        "SELECT d.install_id, count(DISTINCT d.id), count(*) FROM deliveries d "
        "JOIN attempts a ON a.delivery_id = d.id "
        "WHERE d.run_id IS NULL AND d.kind = 'install' AND d.install_id IS NOT NULL "
        f"AND a.status BETWEEN 200 AND 299 {clause} "
        "GROUP BY d.install_id HAVING count(*) > 1 ORDER BY min(d.id)", params)
    return [(str(r[0]), int(r[1]), int(r[2])) for r in rows]
