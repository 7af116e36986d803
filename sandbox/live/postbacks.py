"""Live postbacks: rendered by the scenario renderer
(``sandbox.scenarios.render.Renderer``: the same
templates, macros and presets as a run) and sent by the delivery engine
(``sandbox.delivery.engine.Engine``: the same signing, retries and attempt log; a live
delivery has no run, so its ``run_id`` is NULL).

Each ingest request's postbacks go out on a thread of their own, so the ingest answer never
waits for a slow or failing network.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import logging
import os
import secrets
from collections.abc import Sequence
from typing import Any

from sandbox.clock import Clock
from sandbox.delivery.engine import Engine
from sandbox.delivery.log import DeliveryLog
from sandbox.delivery.pacing import Pacer
from sandbox.delivery.plan import Planned, plan, signing_profiles
from sandbox.delivery.policy import Policy
from sandbox.delivery.worker import worker
from sandbox.live.config import LiveModel
from sandbox.live.ingest import InstallRequest
from sandbox.scenarios.journey import ZERO_UUID, AppEvent, Device, Install, Journey, Touch
from sandbox.scenarios.money import USD_PER_UNIT
from sandbox.scenarios.render import RenderedPostback, Renderer
from sandbox.store import Store

log = logging.getLogger("sandbox.live")


def device_for(request: InstallRequest) -> Device:
    ids, details = request.ids, request.details
    ios = request.platform == "ios"
    idfa = ids.get("idfa")
    if ios and idfa is None:
        idfa = ZERO_UUID  # what an iOS device without ATT authorization sends
    return Device(
        platform=request.platform, country=details.get("country", "US").upper(), city="",
        language=details.get("language", "en-US"), ip=details.get("ip", ""),
        user_agent=details.get("user_agent", ""),
        brand=details.get("brand", "Apple" if ios else ""),
        model=details.get("model", ""), os_version=details.get("os_version", ""),
        carrier="", wifi=True, idfa=idfa if ios else None, idfv=ids.get("idfv"),
        att_status=request.att_status if ios else None,
        gaid=ids.get("gaid"), android_id=ids.get("android_id"),
        mmp_device_id=ids.get("appsflyer_id", ""), adid=ids.get("adid", ""),
    )


def device_dict(device: Device) -> dict[str, Any]:
    return dataclasses.asdict(device)


def device_from_dict(raw: dict[str, Any]) -> Device:
    names = {f.name for f in dataclasses.fields(Device)}
    return Device(**{k: v for k, v in raw.items() if k in names})


def install_model(
    model: LiveModel, install_id: str, moment: float, device: Device, touch: Touch | None,
    match_type: str,
) -> Install:
    cost = None
    currency = "USD"
    if touch is not None:
        campaign = model.scenario.networks[touch.network].campaigns[touch.campaign]
        cost, currency = round((campaign.cpi_min + campaign.cpi_max) / 2, 2), \
            campaign.cost_currency
    return Install(install_id, moment, device, touch, cost=cost, cost_currency=currency,
                   match_type="" if match_type == "organic" else "id_matching")


def event_model(event_id: str, name: str, moment: float, *, revenue: float | None,
                currency: str | None, params: dict[str, Any], occurrence: int) -> AppEvent:
    usd = None
    if revenue is not None and currency in USD_PER_UNIT:
        usd = round(revenue * USD_PER_UNIT[currency], 4)
    order = params.get("order_id") or params.get("af_order_id")
    return AppEvent(event_id, name, moment, params=params, revenue=revenue, currency=currency,
                    revenue_usd=usd, occurrence=occurrence,
                    order_id=str(order) if order is not None else None)


def render(model: LiveModel, install: Install, event: AppEvent | None = None
           ) -> list[RenderedPostback]:
    """The install's postbacks (``event`` None) or one event's, exactly as a run renders them."""
    renderer = Renderer(model.scenario, secrets.randbits(64))
    journey = Journey(install, [event] if event is not None else [])
    kind = "install" if event is None else "event"
    return [p for p in renderer.render_journey(journey) if p.kind == kind]


def planned(model: LiveModel, postbacks: Sequence[RenderedPostback]) -> list[Planned]:
    """Targets and signing profiles; a missing signing secret is a ConfigError here, before
    anything is stored."""
    return list(plan(postbacks, signing_profiles(model.scenario, os.environ)))


@dataclasses.dataclass
class LiveDelivery:
    """Sends live postbacks in the background; ``wait`` is for tests and shutdown."""

    store: Store
    clock: Clock
    policy: Policy = Policy()
    timeout: float = 5.0
    concurrency: int = 8
    _in_flight: list[concurrent.futures.Future[None]] = dataclasses.field(default_factory=list)

    def send(self, items: Sequence[Planned]) -> None:
        """Deliver on the process's worker loop (``sandbox/delivery/worker.py``)."""
        if not items:
            return
        future = worker().submit(self._deliver(items))
        self._in_flight = [f for f in self._in_flight if not f.done()] + [future]

    async def _deliver(self, items: Sequence[Planned]) -> None:
        engine = Engine(DeliveryLog(self.store, run_id=None), self.clock, policy=self.policy,
                        concurrency=self.concurrency, timeout=self.timeout)
        try:
            await engine.run(items, Pacer(self.clock, None))
        except Exception:  # a background delivery must never take the worker down
            log.exception("live delivery failed")

    def wait(self, timeout: float = 30.0) -> bool:
        """Wait for the deliveries in flight; False when one is still running after
        ``timeout``."""
        _, pending = concurrent.futures.wait(list(self._in_flight), timeout)
        return not pending
