"""Stored runs, deliveries and attempts (the records of ``sandbox/store/records.py``) become
the JSON views the API shows and the matcher reads (``"on": "deliveries"`` assertions match
``delivery_view``).

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
from sandbox.store.records import StoredAttempt, StoredDelivery, StoredRun


def _json_body(raw: bytes | None) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def delivery_view(delivery: StoredDelivery) -> dict[str, Any]:
    raw = delivery.body
    body, encoding = body_fields(raw) if raw is not None else (None, None)
    return {
        "id": delivery.id,
        "run_id": delivery.run_id,
        "postback_id": delivery.postback_id,
        "seq": delivery.seq,
        "kind": delivery.kind,
        "network": delivery.network,
        "campaign": delivery.campaign,
        "event_name": delivery.event_name,
        "click_id": delivery.click_id,
        "install_id": delivery.install_id,
        "event_id": delivery.event_id,
        "method": delivery.method,
        "url": delivery.url,
        "query": parse_qs(urlsplit(delivery.url).query, keep_blank_values=True),
        "headers": delivery.headers,
        "body": body,
        "body_encoding": encoding,
        "json": _json_body(raw),
        "signing": delivery.signing["kind"] if delivery.signing else None,
        "chaos": delivery.chaos,
        "scheduled_at": delivery.scheduled_at,
        "state": delivery.state,
        "attempts": delivery.attempts,
        "status": delivery.last_status,
        "error": delivery.last_error,
        "latency_ms": delivery.last_latency_ms,
        "created_at": delivery.created_at,
        "updated_at": delivery.updated_at,
        "next_attempt_at": delivery.next_attempt_at,
    }


def attempt_view(attempt: StoredAttempt) -> dict[str, Any]:
    text, encoding = body_fields(attempt.response_snippet)
    return {
        "number": attempt.number,
        "started_at": attempt.started_at,
        "status": attempt.status,
        "latency_ms": attempt.latency_ms,
        "error": attempt.error,
        "response": {"headers": attempt.response_headers, "body": text,
                     "body_encoding": encoding},
    }


def delivery_detail(delivery: StoredDelivery, attempts: list[StoredAttempt]) -> dict[str, Any]:
    return {**delivery_view(delivery), "attempt_log": [attempt_view(a) for a in attempts]}


def run_view(run: StoredRun, *, counts: dict[str, int] | None = None) -> dict[str, Any]:
    view = {
        "id": run.id,
        "scenario": run.scenario,
        "source": run.source,
        "seed": run.seed,
        "mode": run.mode,
        "speed": run.speed,
        "target_base": run.target_base,
        "concurrency": run.concurrency,
        "state": run.state,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "summary": run.summary,
        "expectations": run.expectations,
    }
    if counts is not None:
        view["deliveries"] = {state: counts.get(state, 0)
                              for state in ("pending", "retrying", "delivered", "failed")}
    return view
