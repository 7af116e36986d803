"""Ingesting a live install or event: attribute, record, render its postbacks.

The face hands over a validated request (``ingest.py`` or ``vendors.py``) and sends the
planned postbacks this returns (``postbacks.LiveDelivery``) once the answer is decided.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sandbox.clock import iso_utc
from sandbox.delivery.plan import Planned
from sandbox.errors import NotFound, SandboxError
from sandbox.live.attribution import attribute_install, touch_for
from sandbox.live.config import LiveModel
from sandbox.live.ingest import EventRequest, InstallRequest
from sandbox.live.postbacks import (
    device_dict,
    device_for,
    device_from_dict,
    event_model,
    install_model,
    planned,
    render,
)
from sandbox.scenarios.journey import Install
from sandbox.store import Store
from sandbox.store.installs import DuplicateEvent, DuplicateInstall, NewEvent, NewInstall
from sandbox.store.records import StoredInstall


@dataclass
class Ingested:
    kind: str  # "install" | "event"
    id: str
    install_id: str | None
    attribution: dict[str, Any] | None = None
    planned: list[Planned] = field(default_factory=list)
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        view: dict[str, Any] = {f"{self.kind}_id": self.id}
        if self.kind == "event":
            view["install_id"] = self.install_id
        if self.attribution is not None:
            view["attribution"] = self.attribution
        view["postbacks"] = [
            {"postback_id": p.postback.postback_id, "network": p.postback.network,
             "kind": p.postback.kind, "method": p.request.method, "url": p.request.url}
            for p in self.planned]
        view["note"] = self.note
        return view


def _iso(moment: float) -> str:
    return iso_utc(datetime.fromtimestamp(moment, UTC))


def ingest_install(store: Store, model: LiveModel, request: InstallRequest, *,
                   now: datetime) -> Ingested:
    moment = request.install_time if request.install_time is not None else now.timestamp()
    install_id = request.install_id or str(uuid.uuid4())
    if store.installs.get(install_id) is not None:
        raise _duplicate_install(install_id)
    won = attribute_install(store, model, click_id=request.click_id,
                            device_ids=request.matchable_ids, install_time=moment)
    device = device_for(request)
    install = install_model(model, install_id, moment, device, won.touch, won.match_type)
    items = planned(model, render(model, install)) if won.touch is not None else []
    try:
        store.installs.insert(NewInstall(
            install_id=install_id, platform=request.platform, att_status=request.att_status,
            device=device_dict(device), device_ids=request.matchable_ids,
            click_id=won.click_id, match_type=won.match_type, network=won.network,
            campaign=won.campaign, installed_at=_iso(moment), installed_unix=moment,
            received_at=iso_utc(now), source=request.source,
        ))
    except DuplicateInstall:
        raise _duplicate_install(install_id) from None
    note = won.note if won.touch is not None or won.note else "organic: no eligible click"
    return Ingested("install", install_id, install_id, won.to_dict(), items, note)


def _duplicate_install(install_id: str) -> SandboxError:
    return SandboxError(f"install_id {install_id!r} was already recorded",
                        code="duplicate_install", status=409, field="install_id")


def find_install(store: Store, request: EventRequest) -> StoredInstall | None:
    if request.install_id is not None:
        return store.installs.get(request.install_id)
    return store.installs.by_device(request.device_ids)


def install_from_row(store: Store, model: LiveModel, row: StoredInstall) -> Install:
    click = store.clicks.get(row.click_id) if row.click_id else None
    touch = touch_for(model, click) if click is not None else None
    device = device_from_dict(row.device)
    return install_model(model, row.install_id, row.installed_unix, device, touch,
                         row.match_type)


def ingest_event(store: Store, model: LiveModel, request: EventRequest, *, now: datetime,
                 require_install: bool = True) -> Ingested:
    """Record an event (and render its postbacks when its install was attributed).

    ``require_install``: an unknown install is a 404; else (vendor endpoints, which accept
    events for devices they have not seen) the event is recorded without an install.
    """
    row = find_install(store, request)
    if row is None and require_install:
        wanted = (f"install_id {request.install_id!r}" if request.install_id
                  else "any of the device ids given")
        raise NotFound(f"no install with {wanted}; POST /mmp/v1/installs first",
                       field="install_id" if request.install_id else "device")
    moment = request.event_time if request.event_time is not None else now.timestamp()
    event_id = request.event_id or str(uuid.uuid4())
    install_id = None if row is None else row.install_id
    items: list[Planned] = []
    note = request.dropped
    if row is not None and request.dropped is None:
        install = install_from_row(store, model, row)
        occurrence = store.installs.occurrences(install_id or "", request.name) + 1
        event = event_model(event_id, request.name, moment, revenue=request.revenue,
                            currency=request.currency, params=request.params,
                            occurrence=occurrence)
        if install.touch is not None:
            items = planned(model, render(model, install, event))
        else:
            note = "the install is organic: no postback"
    elif row is None:
        note = note or "no install known for this device: recorded without one, no postback"
    try:
        store.installs.insert_event(NewEvent(
            event_id=event_id, install_id=install_id, name=request.name,
            revenue=request.revenue, currency=request.currency, event_at=_iso(moment),
            event_unix=moment, received_at=iso_utc(now), source=request.source,
            params=request.params, dropped=request.dropped,
        ))
    except DuplicateEvent:
        raise SandboxError(f"event_id {event_id!r} was already recorded",
                           code="duplicate_event", status=409, field="event_id") from None
    return Ingested("event", event_id, install_id, None, items, note)
