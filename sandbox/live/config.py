"""The live loop's configuration: the app, ad networks with campaigns, and MMP settings.

Shapes come from the scenario schema (``$defs/app``, ``$defs/network``, ``$defs/campaign``),
with a campaign ``redirect`` (where the click tracker sends the user) added, and campaigns
optional on a network. ``build_model`` turns the config-shaped data into the same
``Scenario``/``Network`` model scenario runs render with, so live postbacks and scenario
postbacks come out of one renderer.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from sandbox.docfile import Document, PathTuple, schema_problems
from sandbox.errors import ConfigError, SandboxError
from sandbox.scenarios.distributions import Weighted
from sandbox.scenarios.load import app_from_data, scenario_schema
from sandbox.scenarios.model import Scenario, UserModel
from sandbox.scenarios.networks import NetworkBuilder

DEFAULT_APP: dict[str, Any] = {"name": "sandbox-app"}
URL = {"type": "string", "pattern": "^https?://", "errorMessage": "expected an http(s):// URL"}


@cache
def live_defs() -> dict[str, Any]:
    """The scenario schema's definitions plus the live loop's own."""
    defs: dict[str, Any] = copy.deepcopy(scenario_schema()["$defs"])
    campaign = copy.deepcopy(defs["campaign"])
    campaign["properties"]["redirect"] = {**URL, "description": (
        "Where GET /c/<campaign> sends the user (302); {click_id} in it is replaced by the "
        "click id. Default: the app's store page for the device's platform.")}
    defs["liveCampaign"] = campaign
    entry = copy.deepcopy(campaign)
    entry["required"] = ["name", "network"]
    entry["properties"]["network"] = {"type": "string", "description": "The network's name."}
    defs["liveCampaignEntry"] = entry
    network = copy.deepcopy(defs["network"])
    network["required"] = ["name"]
    network["properties"]["campaigns"] = {"type": "array",
                                          "items": {"$ref": "#/$defs/liveCampaign"}}
    defs["liveNetwork"] = network
    defs["mmp"] = {
        "type": "object", "additionalProperties": False,
        "description": "Credentials the vendor-shaped ingest endpoints check.",
        "properties": {
            "appsflyer": {"type": "object", "additionalProperties": False, "properties": {
                "dev_key": {"$ref": "#/$defs/secret", "description": (
                    "The `authentication` header value expected; default: any non-empty.")}}},
            "adjust": {"type": "object", "additionalProperties": False, "properties": {
                "app_token": {"type": "string", "pattern": "^[a-z0-9]{12}$", "description": (
                    "The only app token accepted (else 404 App token not found).")},
                "s2s_token": {"$ref": "#/$defs/secret", "description": (
                    "When set, `Authorization: Bearer <token>` is required.")}}},
        },
    }
    return defs


def config_properties() -> dict[str, Any]:
    """The config-file keys of the live loop (merged into the config file's schema)."""
    return {
        "app": {"$ref": "#/$defs/app"},
        "networks": {"type": "array", "items": {"$ref": "#/$defs/liveNetwork"}},
        "campaigns": {"type": "array", "items": {"$ref": "#/$defs/liveCampaignEntry"}},
        "mmp": {"$ref": "#/$defs/mmp"},
    }


def schema_for(definition: str) -> dict[str, Any]:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$ref": f"#/$defs/{definition}", "$defs": live_defs()}


@dataclass(frozen=True)
class MmpSettings:
    appsflyer_dev_key: str | None = None
    adjust_app_token: str | None = None
    adjust_s2s_token: str | None = None


@dataclass(frozen=True)
class CampaignRef:
    network: int  # index into model.scenario.networks
    campaign: int  # index into that network's campaigns
    redirect: str | None


@dataclass(frozen=True)
class LiveModel:
    scenario: Scenario
    campaigns: Mapping[str, CampaignRef] = field(default_factory=dict)
    mmp: MmpSettings = MmpSettings()

    def network_index(self, name: str) -> int | None:
        return next((i for i, n in enumerate(self.scenario.networks) if n.name == name), None)


def resolve_secret(raw: Any, where: str) -> str | None:
    if raw is None or isinstance(raw, str):
        return raw
    name = raw["env"]
    if name not in os.environ:
        raise ConfigError(f"{where}: environment variable {name} is not set", field=where)
    return os.environ[name]


def _event_names(network: Mapping[str, Any]) -> frozenset[str]:
    """Live traffic may fire any event: every event a network names is known."""
    postbacks = network.get("postbacks", {})
    names = set(postbacks.get("events", {})) | set(network.get("event_names", {}))
    send = network.get("send_events")
    if isinstance(send, list):
        names.update(send)
    return frozenset(names | {"af_purchase"})


def merge_campaigns(doc: Document) -> list[str]:
    """Move top-level ``campaigns`` entries into their networks (problems for unknown ones)."""
    data = doc.data
    networks = {n["name"]: n for n in data.get("networks", [])}
    problems = []
    for index, entry in enumerate(data.pop("campaigns", None) or []):
        network = networks.get(entry["network"])
        if network is None:
            problems.append(doc.problem(("campaigns", index, "network"),
                                        f"no network named {entry['network']!r}"))
            continue
        network.setdefault("campaigns", []).append(
            {k: v for k, v in entry.items() if k != "network"})
    return problems


def build_model(doc: Document) -> LiveModel:
    """The live model from config-shaped data ({app, networks, mmp}), every problem named."""
    problems = schema_problems(doc, {**config_schema(), "required": []})
    if problems:
        raise ConfigError("\n".join(problems), field="config")
    data = doc.data
    builder = NetworkBuilder(doc)
    app = app_from_data(data.get("app") or DEFAULT_APP)
    networks, campaigns = [], {}
    for index, raw in enumerate(data.get("networks", [])):
        where: PathTuple = ("networks", index)
        spec = {**raw, "campaigns": raw.get("campaigns", [])}
        network = builder.network(spec, where, app, _event_names(raw))
        for position, campaign in enumerate(spec["campaigns"]):
            if campaign["name"] in campaigns:
                builder.fail((*where, "campaigns", position, "name"),
                             f"campaign {campaign['name']!r} is already used by another "
                             "network; /c/<campaign> needs unique names")
            campaigns[campaign["name"]] = CampaignRef(index, position, campaign.get("redirect"))
        networks.append(network)
    builder.unique([n.name for n in networks], ("networks",), "network name")
    if builder.problems:
        raise ConfigError("\n".join(builder.problems), field="config")
    mmp = data.get("mmp") or {}
    settings = MmpSettings(
        appsflyer_dev_key=resolve_secret(mmp.get("appsflyer", {}).get("dev_key"),
                                         "mmp.appsflyer.dev_key"),
        adjust_app_token=mmp.get("adjust", {}).get("app_token"),
        adjust_s2s_token=resolve_secret(mmp.get("adjust", {}).get("s2s_token"),
                                        "mmp.adjust.s2s_token"),
    )
    scenario = Scenario(
        name="live", app=app, networks=tuple(networks),
        users=UserModel(countries=Weighted.uniform(["US"]),
                        platforms=Weighted.uniform(app.platforms or ("ios",)),
                        att=Weighted.uniform([2])),
    )
    return LiveModel(scenario, campaigns, settings)


def config_schema() -> dict[str, Any]:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
            "properties": config_properties(), "$defs": live_defs()}


def model_from_data(data: Mapping[str, Any], *, source: str = "<live config>") -> LiveModel:
    """Build from plain data (the stored specs, or an API body merged into them)."""
    return build_model(Document(Path(source), copy.deepcopy(dict(data)), {(): 1}))


def check(data: Mapping[str, Any], *, source: str) -> LiveModel:
    """``model_from_data`` with problems as a 400 naming the field."""
    try:
        return model_from_data(data, source=source)
    except ConfigError as exc:
        raise SandboxError(exc.message, code="bad_live_config", field=exc.field) from None
