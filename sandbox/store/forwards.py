"""Channel forwarding (tee mode): the forward settings next to a channel's answer and
verification, and the upstream answer stored on each forwarded capture."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.store import Store



class ForwardRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, name: str) -> dict[str, Any] | None:
        row = self._store.connection().execute(
            "SELECT forward_json FROM channels WHERE name = ?", (name,)).fetchone()
        return None if row is None or row[0] is None else dict(json.loads(row[0]))

    def set(self, name: str, forward: dict[str, Any] | None) -> None:
        """Set (or clear, with None) the forward settings of a channel that has a row."""
        text = None if forward is None else json.dumps(forward, sort_keys=True)
        self._store.connection().execute(
            "UPDATE channels SET forward_json = ? WHERE name = ?", (text, name))
        self._store.settings_version.bump()

    def record_upstream(self, capture_id: int, upstream: dict[str, Any]) -> None:
        text = json.dumps(upstream, ensure_ascii=False, separators=(",", ":"))
        self._store.writer.run(lambda conn: conn.execute(
            "UPDATE captures SET forward_json = ? WHERE id = ?", (text, capture_id)))

    def upstream(self, capture_id: int) -> dict[str, Any] | None:
        row = self._store.connection().execute(
            "SELECT forward_json FROM captures WHERE id = ?", (capture_id,)).fetchone()
        return None if row is None or row[0] is None else dict(json.loads(row[0]))
