"""The delivery log: one row per outbound postback, one per attempt, written in batches.

The sender never waits for the disk: attempts are queued and written many per transaction
(``write_events`` through the group writer). A delivery's row is inserted on its first attempt
and updated on the next ones; its attempts reference it by id.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sandbox.compact_json import compact_json
from sandbox.store.records import StoredAttempt, StoredDelivery

if TYPE_CHECKING:
    from sandbox.store import Store

STATES = ("pending", "retrying", "delivered", "failed")

Headers = tuple[tuple[str, str], ...]


@dataclass(slots=True)  # not frozen: built per attempt, and frozen init costs 3x
class DeliveryRecord:
    """What is delivered: the postback's ids and the request as it goes on the wire."""

    postback_id: str
    kind: str
    network: str
    method: str
    url: str
    headers: Headers
    body: bytes | None
    run_id: int | None = None
    seq: int | None = None
    campaign: str | None = None
    event_name: str | None = None
    click_id: str | None = None
    install_id: str | None = None
    event_id: str | None = None
    signing: Mapping[str, Any] | None = None  # the profile dict used to sign (None: unsigned)
    scheduled_at: str | None = None
    chaos: tuple[str, ...] = ()
    ctit_seconds: float | None = None  # install deliveries: seconds from click to install


@dataclass(slots=True)  # not frozen: built per attempt, and frozen init costs 3x
class AttemptRecord:
    number: int
    started_at: str
    status: int | None
    latency_ms: float
    error: str | None
    response_headers: Headers = ()
    response_snippet: bytes = b""


@dataclass(slots=True)  # not frozen: built per attempt, and frozen init costs 3x
class AttemptEvent:
    """One finished attempt. ``url``/``headers`` are what this attempt sent (signed).

    ``key`` identifies the delivery within one writer until its row exists; ``delivery_id``
    is set instead when the row already exists (a resend).
    """

    key: Hashable
    delivery: DeliveryRecord
    attempt: AttemptRecord
    state: str
    url: str
    headers: Headers
    updated_at: str
    next_attempt_at: str | None = None
    delivery_id: int | None = None


@dataclass
class DeliveryFilter:
    run_id: int | None = None
    network: str | None = None
    state: str | None = None
    kind: str | None = None
    event_name: str | None = None
    click_id: str | None = None
    since_id: int | None = None
    extra: list[tuple[str, Any]] = field(default_factory=list)

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for column in ("run_id", "network", "state", "kind", "event_name", "click_id"):
            value = getattr(self, column)
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.since_id is not None:
            clauses.append("id > ?")
            params.append(self.since_id)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


_INSERT_DELIVERY = (
    "INSERT INTO deliveries (id, run_id, postback_id, seq, kind, network, campaign, event_name, "
    "click_id, install_id, event_id, method, url, headers_json, body, signing_json, "
    "scheduled_at, state, attempts, last_status, last_error, last_latency_ms, chaos, "
    "created_at, updated_at, next_attempt_at, ctit_seconds) "
    f"VALUES ({', '.join('?' * 27)})"
)
_UPDATE_DELIVERY = (
    "UPDATE deliveries SET url = ?, headers_json = ?, state = ?, attempts = ?, "
    "last_status = ?, last_error = ?, last_latency_ms = ?, updated_at = ?, "
    "next_attempt_at = ? WHERE id = ?"
)
_INSERT_ATTEMPT = (
    "INSERT INTO attempts (delivery_id, number, started_at, status, latency_ms, error, "
    "response_headers_json, response_snippet) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def _insert_values(event: AttemptEvent) -> tuple[Any, ...]:
    record, attempt = event.delivery, event.attempt
    return (
        record.run_id, record.postback_id, record.seq, record.kind, record.network,
        record.campaign, record.event_name, record.click_id, record.install_id,
        record.event_id, record.method, event.url, compact_json(event.headers), record.body,
        None if record.signing is None else compact_json(record.signing), record.scheduled_at,
        event.state, attempt.number, attempt.status, attempt.error,
        round(attempt.latency_ms, 3), ",".join(record.chaos) or None, attempt.started_at,
        event.updated_at, event.next_attempt_at, record.ctit_seconds,
    )


def _update_values(delivery_id: int, event: AttemptEvent) -> tuple[Any, ...]:
    attempt = event.attempt
    return (
        event.url, compact_json(event.headers), event.state, attempt.number, attempt.status,
        attempt.error, round(attempt.latency_ms, 3), event.updated_at, event.next_attempt_at,
        delivery_id,
    )


def _attempt_values(delivery_id: int, attempt: AttemptRecord) -> tuple[Any, ...]:
    headers = compact_json(attempt.response_headers) if attempt.response_headers else None
    return (
        delivery_id, attempt.number, attempt.started_at, attempt.status,
        round(attempt.latency_ms, 3), attempt.error, headers, attempt.response_snippet,
    )


class DeliveryRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def write_events(
        self, events: Sequence[AttemptEvent], known: Mapping[Hashable, int]
    ) -> dict[Hashable, int]:
        """Write finished attempts in one group transaction. ``known`` maps keys of deliveries
        already written to their ids; answer the ids of the rows inserted now.

        New rows get explicit ids (the writer holds the write lock, so max(id) is stable) and
        go in with executemany, then later attempts update them in order: a third of the cost
        of one statement per event.
        """

        def write(conn: sqlite3.Connection) -> dict[Hashable, int]:
            next_id = int(conn.execute("SELECT max(id) FROM deliveries").fetchone()[0] or 0) + 1
            added: dict[Hashable, int] = {}
            inserts, updates, attempts = [], [], []
            for event in events:
                delivery_id = event.delivery_id or added.get(event.key) or known.get(event.key)
                if delivery_id is None:
                    delivery_id = added[event.key] = next_id
                    next_id += 1
                    inserts.append((delivery_id, *_insert_values(event)))
                else:
                    updates.append(_update_values(delivery_id, event))
                attempts.append(_attempt_values(delivery_id, event.attempt))
            conn.executemany(_INSERT_DELIVERY, inserts)
            conn.executemany(_UPDATE_DELIVERY, updates)
            conn.executemany(_INSERT_ATTEMPT, attempts)
            return added

        result: dict[Hashable, int] = self._store.writer.run(write)
        return result

    def get(self, delivery_id: int) -> StoredDelivery | None:
        row: sqlite3.Row | None = self._store.connection().execute(
            "SELECT * FROM deliveries WHERE id = ?", (delivery_id,)
        ).fetchone()
        return None if row is None else stored_delivery(row)

    def attempts(self, delivery_id: int) -> list[StoredAttempt]:
        return [stored_attempt(row) for row in self._store.connection().execute(
            "SELECT * FROM attempts WHERE delivery_id = ? ORDER BY number, id", (delivery_id,)
        )]

    def page(
        self, filters: DeliveryFilter, *, limit: int, cursor: int | None, newest_first: bool
    ) -> list[StoredDelivery]:
        where, params = filters.where()
        if cursor is not None:
            where += (" AND " if where else " WHERE ") + ("id < ?" if newest_first else "id > ?")
            params.append(cursor)
        order = "DESC" if newest_first else "ASC"
        sql = f"SELECT * FROM deliveries{where} ORDER BY id {order} LIMIT ?"
        return [stored_delivery(r) for r in self._store.connection().execute(
            sql, [*params, limit])]

    def iterate(self, filters: DeliveryFilter) -> Iterator[StoredDelivery]:
        where, params = filters.where()
        rows = self._store.connection().execute(
            f"SELECT * FROM deliveries{where} ORDER BY id", params)
        yield from map(stored_delivery, rows)

    def last_id(self) -> int:
        row = self._store.connection().execute("SELECT max(id) FROM deliveries").fetchone()
        return int(row[0] or 0)

    def version(self) -> int:
        """Changes whenever an attempt is logged (every delivery change logs one)."""
        row = self._store.connection().execute("SELECT max(id) FROM attempts").fetchone()
        return int(row[0] or 0)

    def state_counts(self, run_id: int) -> dict[str, int]:
        rows = self._store.connection().execute(
            "SELECT state, count(*) FROM deliveries WHERE run_id = ? GROUP BY state", (run_id,)
        )
        return {str(state): int(count) for state, count in rows}


def stored_delivery(row: sqlite3.Row) -> StoredDelivery:
    return StoredDelivery(
        row["id"], row["run_id"], row["postback_id"], row["seq"], row["kind"], row["network"],
        row["campaign"], row["event_name"], row["click_id"], row["install_id"],
        row["event_id"], row["method"], row["url"], json.loads(row["headers_json"]),
        None if row["body"] is None else bytes(row["body"]),
        json.loads(row["signing_json"]) if row["signing_json"] else None,
        row["scheduled_at"], row["state"], row["attempts"], row["last_status"],
        row["last_error"], row["last_latency_ms"],
        row["chaos"].split(",") if row["chaos"] else [], row["created_at"], row["updated_at"],
        row["next_attempt_at"])


def stored_attempt(row: sqlite3.Row) -> StoredAttempt:
    headers = row["response_headers_json"]
    return StoredAttempt(row["number"], row["started_at"], row["status"], row["latency_ms"],
                         row["error"], json.loads(headers) if headers else [],
                         bytes(row["response_snippet"] or b""))
