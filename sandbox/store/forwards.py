"""Channel forwarding (tee mode): the upstream answer stored on each forwarded capture (the
forward settings are stored with the channel's, ``sandbox/store/channels.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.compact_json import compact_json

if TYPE_CHECKING:
    from sandbox.store import Store


class ForwardRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def record_upstream(self, capture_id: int, upstream: dict[str, Any]) -> None:
        text = compact_json(upstream)
        self._store.writer.run(lambda conn: conn.execute(
            "UPDATE captures SET forward_json = ? WHERE id = ?", (text, capture_id)))
