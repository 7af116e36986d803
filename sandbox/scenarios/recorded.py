"""Generated traffic recorded as the live loop records its own: a scenario run's converting
clicks, its installs (organic ones too) and the events it postbacks go into the same tables
through the same inserts (``sandbox.store.traffic``), so reconcile and the timeline read a run
like live traffic.

Recording goes a batch of journeys at a time, one transaction each, and a batch is recorded
before its journeys are handed on: no postback reaches a receiver before its click exists.
A run again with the same seed makes the same ids: what is already recorded is kept.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from sandbox.clock import Clock, iso_utc
from sandbox.scenarios.journey import ZERO_UUID, Device, Journey, Touch
from sandbox.scenarios.model import Scenario
from sandbox.store import Store
from sandbox.store.clicks import NewClick
from sandbox.store.installs import NewEvent, NewInstall
from sandbox.store.traffic import TrafficBatch, record_traffic

BATCH = 256  # journeys per transaction
SOURCE = "scenario"
# a Device holds only plain values: read by name, what dataclasses.asdict gives at a fifth
# of its cost (asdict copies recursively; it was half of recording's time)
_DEVICE_FIELDS = tuple(f.name for f in dataclasses.fields(Device))


def _iso(moment: float) -> str:
    return iso_utc(datetime.fromtimestamp(moment, UTC))


def click_record(scenario: Scenario, touch: Touch, device: Device) -> NewClick:
    """The winning touch as the click tracker would have recorded it (an impression too:
    its id is the click id the postbacks carry)."""
    network = scenario.networks[touch.network]
    params = {"click_id": [touch.touch_id]}
    if touch.site_id:
        params["site_id"] = [touch.site_id]
    hints = {"platform": device.platform, "os_version": device.os_version,
             "model": device.model, "touch": touch.kind}
    return NewClick(
        click_id=touch.touch_id, campaign=network.campaigns[touch.campaign].name,
        network=network.name, clicked_at=_iso(touch.time), clicked_unix=touch.time,
        ip=device.ip, user_agent=device.user_agent, platform=device.platform, device_id=None,
        hints=hints, params=params)


def device_ids(device: Device) -> tuple[str, ...]:
    """The ids an event could name the install by (a zeroed advertising id names no one)."""
    ids = (device.idfa, device.idfv, device.gaid, device.android_id, device.mmp_device_id,
           device.adid)
    return tuple(value for value in ids if value and value != ZERO_UUID)


def records(scenario: Scenario, journey: Journey, received_at: str
            ) -> tuple[NewClick | None, NewInstall, list[NewEvent]]:
    """A journey's click (None: organic), install and events, as the live loop stores them."""
    install, touch = journey.install, journey.install.touch
    device = install.device
    network = campaign = None
    if touch is not None:
        spec = scenario.networks[touch.network]
        network, campaign = spec.name, spec.campaigns[touch.campaign].name
    new_install = NewInstall(
        install_id=install.install_id, platform=device.platform, att_status=device.att_status,
        device={name: getattr(device, name) for name in _DEVICE_FIELDS},
        device_ids=device_ids(device),
        click_id=None if touch is None else touch.touch_id,
        match_type="organic" if touch is None else install.match_type or "click_id",
        network=network, campaign=campaign, installed_at=_iso(install.time),
        installed_unix=install.time, received_at=received_at, source=SOURCE)
    events = [NewEvent(
        event_id=event.event_id, install_id=install.install_id, name=event.name,
        revenue=event.revenue, currency=event.currency, event_at=_iso(event.time),
        event_unix=event.time, received_at=received_at, source=SOURCE, params=event.params)
        for event in journey.events]
    click = None if touch is None else click_record(scenario, touch, device)
    return click, new_install, events


def record(store: Store, scenario: Scenario, journeys: Iterable[Journey], *,
           received_at: str) -> None:
    """Record ``journeys`` in one transaction."""
    batch = TrafficBatch()
    for journey in journeys:
        click, install, events = records(scenario, journey, received_at)
        if click is not None:
            batch.clicks.append(click)
        batch.installs.append(install)
        batch.events += events
    record_traffic(store, batch)


def recorded(store: Store, scenario: Scenario, journeys: Iterable[Journey], *, clock: Clock
             ) -> Iterator[Journey]:
    """``journeys`` as they are, each batch recorded before it is handed on."""
    batch: list[Journey] = []
    for journey in journeys:
        batch.append(journey)
        if len(batch) == BATCH:
            record(store, scenario, batch, received_at=iso_utc(clock.now()))
            yield from batch
            batch = []
    if batch:
        record(store, scenario, batch, received_at=iso_utc(clock.now()))
        yield from batch
