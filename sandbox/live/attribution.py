"""Attributing a live install with the scenario runs' rule
(``sandbox.scenarios.attribution.attribute``):
the click the install names, else a click that passed one of its device ids, within the
campaign's click lookback; else organic."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.live.config import LiveModel
from sandbox.scenarios.attribution import attribute
from sandbox.scenarios.journey import Touch
from sandbox.store import Store
from sandbox.store.records import StoredClick


@dataclass(frozen=True)
class LiveAttribution:
    touch: Touch | None
    match_type: str  # "click_id" | "id_matching" | "organic"
    click_id: str | None = None
    network: str | None = None
    campaign: str | None = None
    note: str | None = None  # why a named click did not win

    def to_dict(self) -> dict[str, str | None]:
        return {"match_type": self.match_type, "click_id": self.click_id,
                "network": self.network, "campaign": self.campaign, "note": self.note}


def touch_for(model: LiveModel, click: StoredClick) -> Touch | None:
    """The click as a scenario touch; None when its campaign is no longer configured."""
    ref = model.campaigns.get(click.campaign)
    if ref is None:
        return None
    campaign = model.scenario.networks[ref.network].campaigns[ref.campaign]
    params = click.params
    site = (params.get("site_id") or params.get("af_siteid") or [""])[0]
    return Touch("click", click.click_id, ref.network, ref.campaign,
                 click.clicked_unix, campaign.click_lookback, site)


def _won(model: LiveModel, touches: list[Touch], install_time: float,
         match_type: str) -> LiveAttribution | None:
    result = attribute(install_time, touches)
    if result.touch is None:
        return None
    network = model.scenario.networks[result.touch.network]
    return LiveAttribution(result.touch, match_type, result.touch.touch_id, network.name,
                           network.campaigns[result.touch.campaign].name)


def attribute_install(
    store: Store, model: LiveModel, *, click_id: str | None, device_ids: tuple[str, ...],
    install_time: float,
) -> LiveAttribution:
    note = None
    if click_id is not None:
        click = store.clicks.get(click_id)
        touch = None if click is None else touch_for(model, click)
        if click is None:
            note = f"click id {click_id!r} was never issued by the click tracker"
        elif touch is None:
            note = f"click {click_id!r} belongs to campaign {click.campaign!r}, no longer " \
                   "configured"
        else:
            won = _won(model, [touch], install_time, "click_id")
            if won is not None:
                return won
            note = f"click {click_id!r} is outside its campaign's click lookback"
    by_device = [t for c in store.clicks.by_device(list(device_ids), before=install_time)
                 if (t := touch_for(model, c)) is not None]
    won = _won(model, by_device, install_time, "id_matching")
    if won is not None:
        return LiveAttribution(won.touch, won.match_type, won.click_id, won.network,
                               won.campaign, note)
    return LiveAttribution(None, "organic", note=note)
