"""The records the store writes and hands out: the one model module the store and the
capabilities above it both import, so the store needs no capability to do its job.

Writes take typed records (``CaptureRecord`` with its ``Answer``; clicks, installs and events
take theirs from ``sandbox.store.clicks`` and ``sandbox.store.installs``). Captures are read
back as ``StoredCapture``, with its JSON columns decoded; the other tables still hand out
``Row``, a read-only mapping from column name to value. ``StoreError`` is what any store call
raises when the database fails (a full disk, a locked file), for callers that must answer
anyway.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any, Protocol

# The key columns every capture carries (filled by sandbox/capture/keys.py).
KEY_NAMES: tuple[str, ...] = (
    "click_id", "event_name", "transaction_id", "device_id", "revenue", "currency",
)



class Row(Protocol):
    """A stored row as the store hands it out: read-only, by column name (or position)."""

    def __getitem__(self, key: str | int, /) -> Any: ...

    def keys(self) -> list[str]: ...


StoreError = sqlite3.Error


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: str | None  # None: the default body, which names the capture id
    delay_ms: int
    failed_on_purpose: bool = False


@dataclass
class CaptureRecord:
    """One row of the captures table, before it has an id."""

    channel: str
    method: str
    path: str
    query_string: str
    query: dict[str, list[str]]
    headers: list[tuple[str, str]]
    body: bytes
    received_at: str
    body_size: int
    remote_addr: str | None
    content_type: str | None
    content_encoding: str | None = None
    decoded_body: bytes | None = None
    form: dict[str, list[str]] | None = None
    json_text: str | None = None
    body_note: str | None = None
    refused: str | None = None
    keys: dict[str, str | None] = field(default_factory=dict)
    lint: list[dict[str, str]] = field(default_factory=list)
    verdict: str | None = None
    verdict_detail: dict[str, Any] | None = None
    replay_key: str | None = None


@dataclass(frozen=True, slots=True)
class StoredCapture:
    """One captured request as stored, JSON columns decoded."""

    id: int
    channel: str
    method: str
    path: str
    query_string: str
    query: dict[str, list[str]]
    headers: list[list[str]]
    body: bytes  # exactly as received
    decoded_body: bytes | None  # after Content-Encoding, when there was one
    form_text: str | None  # the parsed form as JSON text (its length bounds what views show)
    json_text: str | None  # the parsed JSON body as compact JSON text
    body_note: str | None
    content_type: str | None
    content_encoding: str | None
    remote_addr: str | None
    received_at: str
    body_size: int
    refused: str | None
    response_status: int | None
    response_headers: dict[str, str]
    response_body: str | None  # None: the default body, which names the capture id
    verdict: str | None
    verdict_detail: dict[str, Any] | None
    lint: list[dict[str, str]]
    keys: dict[str, str | None]  # KEY_NAMES -> the extracted value
    replay_key: str | None
    forward: dict[str, Any] | None  # the upstream answer of a tee channel
