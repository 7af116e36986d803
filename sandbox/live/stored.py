"""The live configuration as stored: read back into a model (cached per process until it
changes), and changed through validated writes (config file, ``/api/networks``,
``/api/campaigns``). A write is checked by building the whole model with the change first,
so a stored configuration always builds."""

from __future__ import annotations

import copy
import threading
from typing import Any

from sandbox.errors import NotFound, SandboxError
from sandbox.live.config import LiveModel, check
from sandbox.store import Store

_CACHE: dict[str, tuple[int, LiveModel]] = {}
_LOCK = threading.Lock()


def stored_data(store: Store) -> dict[str, Any]:
    """The stored configuration in config-file shape: {app, networks (with campaigns), mmp}."""
    config = store.live_config
    networks = config.networks()
    for spec in networks.values():
        spec["campaigns"] = []
    for campaign in config.campaigns():
        owner = networks.get(campaign["network"])
        if owner is not None:
            owner["campaigns"].append(_campaign_spec(campaign))
    data: dict[str, Any] = {"networks": [{**spec, "name": name}
                                         for name, spec in networks.items()]}
    for key in ("app", "mmp"):
        value = config.setting(key)
        if value is not None:
            data[key] = value
    return data


def _campaign_spec(campaign: dict[str, Any]) -> dict[str, Any]:
    spec = {**campaign["spec"], "name": campaign["name"]}
    if campaign["redirect"] is not None:
        spec["redirect"] = campaign["redirect"]
    return spec


def current_model(store: Store) -> LiveModel:
    """The model of what is stored now; rebuilt only when the stored version changed."""
    version = store.live_config.version()
    cached = _CACHE.get(store.path)
    if cached is not None and cached[0] == version:
        return cached[1]
    model = check(stored_data(store), source="<stored live config>")
    with _LOCK:
        _CACHE[store.path] = (version, model)
    return model


def apply_config(store: Store, config: dict[str, Any]) -> None:
    """Store what a (validated) config file declares: app, mmp, networks and campaigns."""
    for key in ("app", "mmp"):
        if key in config:
            store.live_config.put_setting(key, config[key])
    for network in config.get("networks", []):
        _store_network(store, network)


def _store_network(store: Store, network: dict[str, Any]) -> None:
    name = network["name"]
    spec = {k: v for k, v in network.items() if k not in ("name", "campaigns")}
    store.live_config.put_network(name, spec)
    for campaign in network.get("campaigns", []):
        _store_campaign(store, campaign, name)


def _store_campaign(store: Store, campaign: dict[str, Any], network: str) -> None:
    spec = {k: v for k, v in campaign.items() if k not in ("name", "redirect", "network")}
    store.live_config.put_campaign(campaign["name"], network, spec, campaign.get("redirect"))


def put_network(store: Store, name: str, body: Any) -> LiveModel:
    """Create or replace a network (its campaigns, when the body lists them, too)."""
    if not isinstance(body, dict):
        raise SandboxError("expected a JSON object in the scenario's network shape, such as "
                           '{"preset": "appsflyer", "endpoint": "http://127.0.0.1:8377/pb/net"}',
                           code="bad_json", field="body")
    network = {**copy.deepcopy(body), "name": name}
    data = stored_data(store)
    kept = [n for n in data["networks"] if n["name"] != name]
    old = next((n for n in data["networks"] if n["name"] == name), None)
    if "campaigns" not in network:
        network["campaigns"] = old["campaigns"] if old else []
    model = check({**data, "networks": [*kept, network]}, source="body")
    if old is not None and "campaigns" in body:
        store.live_config.delete_network(name)
    _store_network(store, network)
    return model


def put_campaign(store: Store, name: str, body: Any) -> LiveModel:
    if not isinstance(body, dict) or not isinstance(body.get("network"), str):
        raise SandboxError('expected a JSON object naming its network, such as {"network": '
                           '"fakenet", "redirect": "https://apps.apple.com/app/id525463029"}',
                           code="bad_json", field="network")
    data = stored_data(store)
    network = next((n for n in data["networks"] if n["name"] == body["network"]), None)
    if network is None:
        known = ", ".join(n["name"] for n in data["networks"]) or "none yet"
        raise SandboxError(f"network: no network named {body['network']!r} (known: {known}); "
                           "PUT /api/networks/<name> first", code="bad_live_config",
                           field="network")
    for other in data["networks"]:
        other["campaigns"] = [c for c in other["campaigns"] if c["name"] != name]
    campaign = {**{k: v for k, v in body.items() if k != "network"}, "name": name}
    network["campaigns"].append(campaign)
    model = check(data, source="body")
    _store_campaign(store, campaign, body["network"])
    return model


def delete_network(store: Store, name: str) -> None:
    if not store.live_config.delete_network(name):
        raise NotFound(f"no network named {name!r}", field="name")


def delete_campaign(store: Store, name: str) -> None:
    if not store.live_config.delete_campaign(name):
        raise NotFound(f"no campaign named {name!r}", field="name")


def network_view(store: Store, name: str) -> dict[str, Any]:
    network = next((n for n in stored_data(store)["networks"] if n["name"] == name), None)
    if network is None:
        raise NotFound(f"no network named {name!r}", field="name")
    return network


def campaign_view(store: Store, name: str) -> dict[str, Any]:
    campaign = store.live_config.campaign(name)
    if campaign is None:
        raise NotFound(f"no campaign named {name!r}", field="name")
    return {**_campaign_spec(campaign), "network": campaign["network"],
            "tracking_link": f"/c/{name}", "updated_at": campaign["updated_at"]}
