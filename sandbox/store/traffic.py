"""A batch of generated traffic (clicks, installs, events) in one transaction, written with
the live loop's own inserts; what is already recorded is kept (a run again with its seed)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sandbox.store.clicks import NewClick, insert_clicks
from sandbox.store.installs import NewEvent, NewInstall, insert_events, insert_installs

if TYPE_CHECKING:
    from sandbox.store import Store


@dataclass
class TrafficBatch:
    clicks: list[NewClick] = field(default_factory=list)
    installs: list[NewInstall] = field(default_factory=list)
    events: list[NewEvent] = field(default_factory=list)


def record_traffic(store: Store, batch: TrafficBatch) -> None:
    def write(conn: sqlite3.Connection) -> None:
        insert_clicks(conn, batch.clicks, keep_existing=True)
        insert_installs(conn, batch.installs, keep_existing=True)
        insert_events(conn, batch.events, keep_existing=True)

    store.writer.run(write)
