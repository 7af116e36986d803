"""The records the store writes and hands out: the one model module the store and the
capabilities above it both import, so the store needs no capability to do its job.

Writes take typed records (``CaptureRecord`` with its ``Answer``; clicks, installs and events
take theirs from ``sandbox.store.clicks`` and ``sandbox.store.installs``). Reads hand out
``Stored*`` records (captures, deliveries and their attempts, runs, clicks, installs, events),
JSON columns decoded, so no module above the store reads a column name. ``StoreError`` is what
any store call raises when the database fails (a full disk, a locked file), for callers that
must answer anyway.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

# The key columns every capture carries (filled by sandbox/capture/keys.py).
KEY_NAMES: tuple[str, ...] = (
    "click_id", "event_name", "transaction_id", "device_id", "revenue", "currency",
)

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
    derived: bool = True  # False: only the raw parts are filled in; the deriver does the rest


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


@dataclass(frozen=True, slots=True)
class StoredDelivery:
    """One postback of the delivery log: what was sent (signed, by its newest attempt) and
    where it stands."""

    id: int
    run_id: int | None  # None: a real-time postback of the live loop
    postback_id: str
    seq: int
    kind: str
    network: str
    campaign: str
    event_name: str | None
    click_id: str | None
    install_id: str | None
    event_id: str | None
    method: str
    url: str
    headers: list[list[str]]
    body: bytes | None
    signing: dict[str, Any] | None  # the signing profile as configured
    scheduled_at: str
    state: str
    attempts: int
    last_status: int | None
    last_error: str | None
    last_latency_ms: float | None
    chaos: list[str]
    created_at: str
    updated_at: str
    next_attempt_at: str | None


@dataclass(frozen=True, slots=True)
class StoredAttempt:
    number: int
    started_at: str
    status: int | None
    latency_ms: float | None
    error: str | None
    response_headers: list[list[str]]
    response_snippet: bytes


@dataclass(frozen=True, slots=True)
class StoredRun:
    id: int
    scenario: str
    source: str | None
    seed: int
    mode: str
    speed: float | None
    target_base: str | None
    concurrency: int
    state: str
    started_at: str
    finished_at: str | None
    summary: dict[str, Any]
    expectations: list[Any] | None


@dataclass(frozen=True, slots=True)
class StoredClick:
    click_id: str
    campaign: str
    network: str
    clicked_at: str
    clicked_unix: float
    ip: str | None
    user_agent: str | None
    platform: str | None
    device_id: str | None
    hints: dict[str, Any]
    params: dict[str, list[str]]
    redirect: str | None


@dataclass(frozen=True, slots=True)
class StoredInstall:
    install_id: str
    platform: str
    att_status: str | None
    device: dict[str, Any]
    click_id: str | None
    match_type: str
    network: str | None
    campaign: str | None
    installed_at: str
    installed_unix: float
    received_at: str
    source: str


@dataclass(frozen=True, slots=True)
class StoredEvent:
    event_id: str
    install_id: str | None
    name: str
    revenue: float | None
    currency: str | None
    params: dict[str, Any]
    event_at: str
    event_unix: float
    received_at: str
    source: str
    dropped: str | None
