"""One timeline per click: the click, the install it led to, that install's events, every
outbound delivery attempt and every inbound capture carrying the click id, in time order.

The inspector page ``/ui/timeline/<click_id>`` renders exactly this dict
(``GET /api/timeline/<click_id>``).
"""

from __future__ import annotations

from typing import Any

from sandbox.errors import NotFound
from sandbox.store import Store
from sandbox.store.captures import CaptureFilter
from sandbox.store.deliveries import DeliveryFilter
from sandbox.store.records import (
    StoredAttempt,
    StoredCapture,
    StoredClick,
    StoredDelivery,
    StoredEvent,
    StoredInstall,
)

KIND_ORDER = {"click": 0, "install": 1, "event": 2, "attempt": 3, "capture": 4}
MAX_CAPTURES = 500


def click_view(click: StoredClick) -> dict[str, Any]:
    return {"click_id": click.click_id, "campaign": click.campaign, "network": click.network,
            "clicked_at": click.clicked_at, "ip": click.ip, "user_agent": click.user_agent,
            "platform": click.platform, "device_id": click.device_id, "hints": click.hints,
            "params": click.params, "redirect": click.redirect}


def install_view(install: StoredInstall) -> dict[str, Any]:
    return {"install_id": install.install_id, "platform": install.platform,
            "att_status": install.att_status, "match_type": install.match_type,
            "click_id": install.click_id, "network": install.network,
            "campaign": install.campaign, "installed_at": install.installed_at,
            "received_at": install.received_at, "source": install.source,
            "device": install.device}


def event_view(event: StoredEvent) -> dict[str, Any]:
    return {"event_id": event.event_id, "install_id": event.install_id, "name": event.name,
            "revenue": event.revenue, "currency": event.currency, "params": event.params,
            "event_at": event.event_at, "received_at": event.received_at,
            "source": event.source, "dropped": event.dropped}


def attempt_entry(delivery: StoredDelivery, attempt: StoredAttempt) -> dict[str, Any]:
    return {"delivery_id": delivery.id, "postback_id": delivery.postback_id,
            "run_id": delivery.run_id, "kind": delivery.kind,
            "network": delivery.network, "event_name": delivery.event_name,
            "method": delivery.method, "url": delivery.url, "state": delivery.state,
            "number": attempt.number, "status": attempt.status,
            "error": attempt.error, "latency_ms": attempt.latency_ms}


def capture_entry(capture: StoredCapture) -> dict[str, Any]:
    return {"id": capture.id, "channel": capture.channel, "method": capture.method,
            "path": capture.path, "query_string": capture.query_string,
            "event_name": capture.keys["event_name"], "status": capture.response_status,
            "verdict": capture.verdict, "refused": capture.refused, "forward": capture.forward,
            "url": f"/api/postbacks/{capture.id}"}


def _captures(store: Store, click_id: str) -> list[StoredCapture]:
    found: dict[int, StoredCapture] = {}
    for key in ("click_id", "transaction_id"):
        for capture in store.captures.page(CaptureFilter(keys={key: click_id}),
                                           limit=MAX_CAPTURES, newest_first=False):
            found[capture.id] = capture
    return [found[i] for i in sorted(found)]


def timeline(store: Store, click_id: str) -> dict[str, Any]:
    entries: list[dict[str, Any]] = []
    click = store.clicks.get(click_id)
    if click is not None:
        entries.append({"at": click.clicked_at, "kind": "click", "click": click_view(click)})
    installs = store.installs.by_click(click_id)
    events = 0
    for install in installs:
        entries.append({"at": install.installed_at, "kind": "install",
                        "install": install_view(install)})
        for event in store.installs.events_of(install.install_id):
            events += 1
            entries.append({"at": event.event_at, "kind": "event", "event": event_view(event)})
    deliveries = list(store.deliveries.iterate(DeliveryFilter(click_id=click_id)))
    attempts = 0
    for delivery in deliveries:
        for attempt in store.deliveries.attempts(delivery.id):
            attempts += 1
            entries.append({"at": attempt.started_at, "kind": "attempt",
                            "attempt": attempt_entry(delivery, attempt)})
    captures = _captures(store, click_id)
    entries += [{"at": c.received_at, "kind": "capture", "capture": capture_entry(c)}
                for c in captures]
    if not entries:
        raise NotFound(f"nothing is known about click id {click_id!r}: no click, install, "
                       "delivery or capture carries it", field="click_id")
    entries.sort(key=lambda e: (e["at"], KIND_ORDER[e["kind"]]))
    return {
        "click_id": click_id,
        "click": None if click is None else click_view(click),
        "summary": {"installs": len(installs), "events": events, "deliveries": len(deliveries),
                    "attempts": attempts, "captures": len(captures)},
        "entries": entries,
    }
