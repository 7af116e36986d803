"""Stored runs, deliveries and attempts become the JSON views the API shows and the matcher
reads (``"on": "deliveries"`` assertions match ``delivery_view``).

A delivery view::

    {"id": 7, "run_id": 2, "postback_id": "pb_...", "seq": 7, "kind": "install",
     "network": "fakenet", "campaign": "launch_us", "event_name": null, "click_id": "...",
     "install_id": "...", "event_id": null, "method": "GET", "url": "http://...?a=1",
     "query": {"a": ["1"]}, "headers": [["X-Sandbox-Chaos", "duplicate"]], "body": null,
     "body_encoding": null, "json": null, "signing": "hmac", "chaos": ["duplicate"],
     "scheduled_at": "...Z", "state": "delivered", "attempts": 2, "status": 200,
     "error": null, "latency_ms": 3.1, "created_at": "...Z", "updated_at": "...Z",
     "next_attempt_at": null}

``url`` and ``headers`` are what the newest attempt sent (signed); ``status``, ``error`` and
``latency_ms`` are the newest attempt's.

The delivery package writes the log; its views sit here, below it, because the assertion
language matches on them and delivery's expectations call the assertion language.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sandbox.capture.view import body_fields
from sandbox.store.records import Row


def _json_body(raw: bytes | None) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def delivery_view(row: Row) -> dict[str, Any]:
    raw = None if row["body"] is None else bytes(row["body"])
    body, encoding = body_fields(raw) if raw is not None else (None, None)
    signing = json.loads(row["signing_json"]) if row["signing_json"] else None
    return {
        "id": row["id"],
        "run_id": row["run_id"],
        "postback_id": row["postback_id"],
        "seq": row["seq"],
        "kind": row["kind"],
        "network": row["network"],
        "campaign": row["campaign"],
        "event_name": row["event_name"],
        "click_id": row["click_id"],
        "install_id": row["install_id"],
        "event_id": row["event_id"],
        "method": row["method"],
        "url": row["url"],
        "query": parse_qs(urlsplit(row["url"]).query, keep_blank_values=True),
        "headers": json.loads(row["headers_json"]),
        "body": body,
        "body_encoding": encoding,
        "json": _json_body(raw),
        "signing": signing["kind"] if signing else None,
        "chaos": row["chaos"].split(",") if row["chaos"] else [],
        "scheduled_at": row["scheduled_at"],
        "state": row["state"],
        "attempts": row["attempts"],
        "status": row["last_status"],
        "error": row["last_error"],
        "latency_ms": row["last_latency_ms"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "next_attempt_at": row["next_attempt_at"],
    }


def attempt_view(row: Row) -> dict[str, Any]:
    snippet = bytes(row["response_snippet"] or b"")
    text, encoding = body_fields(snippet)
    headers = json.loads(row["response_headers_json"]) if row["response_headers_json"] else []
    return {
        "number": row["number"],
        "started_at": row["started_at"],
        "status": row["status"],
        "latency_ms": row["latency_ms"],
        "error": row["error"],
        "response": {"headers": headers, "body": text, "body_encoding": encoding},
    }


def delivery_detail(row: Row, attempts: list[Row]) -> dict[str, Any]:
    return {**delivery_view(row), "attempt_log": [attempt_view(a) for a in attempts]}


def run_view(row: Row, *, counts: dict[str, int] | None = None) -> dict[str, Any]:
    expectations = row["expectations_json"]
    view = {
        "id": row["id"],
        "scenario": row["scenario"],
        "source": row["source"] or None,
        "seed": row["seed"],
        "mode": row["mode"],
        "speed": row["speed"],
        "target_base": row["target_base"],
        "concurrency": row["concurrency"],
        "state": row["state"],
        "started_at": row["started_at"],
        "finished_at": row["finished_at"],
        "summary": json.loads(row["summary_json"] or "{}"),
        "expectations": None if expectations is None else json.loads(expectations),
    }
    if counts is not None:
        view["deliveries"] = {state: counts.get(state, 0)
                              for state in ("pending", "retrying", "delivered", "failed")}
    return view
