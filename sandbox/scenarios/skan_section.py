"""The ``skan:`` section of a scenario: which networks get SKAdNetwork / AdAttributionKit
postbacks, the tier mix, the conversion-value schema and the timeline.

The schema check runs with the rest of the scenario
(``sandbox/scenarios/scenario.schema.json``); the
meaning checks here (a network or campaign that does not exist, an unknown event) name the
file, line and field like every scenario problem. The typed ``Scenario`` does not carry this
section, so ``load_skan_config`` reads it from the scenario's file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.docfile import Document, PathTuple, did_you_mean, read_document
from sandbox.errors import ScenarioError
from sandbox.scenarios.distributions import Weighted
from sandbox.scenarios.model import Scenario

FORMATS = ("skan", "aak")
COARSE_VALUES = ("low", "medium", "high")
DEFAULT_TIERS = {3: 0.35, 2: 0.25, 1: 0.25, 0: 0.15}


@dataclass(frozen=True)
class ValueRule:
    """Holds when every condition given holds; sets ``fine`` and/or ``coarse``."""

    fine: int | None = None
    coarse: str | None = None
    event: str | None = None
    revenue_usd: float | None = None
    lock: bool = False


@dataclass(frozen=True)
class SkanNetwork:
    name: str  # the scenario network's name
    index: int  # into scenario.networks
    ad_network_id: str
    url: str
    format: str = "skan"
    source_identifiers: Mapping[str, str] = field(default_factory=dict)  # campaign -> 4 digits


@dataclass(frozen=True)
class SkanConfig:
    app_id: int
    networks: tuple[SkanNetwork, ...]
    tiers: Weighted[int] = field(default_factory=lambda: Weighted.from_mapping(DEFAULT_TIERS))
    values: tuple[ValueRule, ...] = ()
    developer_copy: str | None = None
    installs: str = "all"  # "all" | "without_att_consent"
    non_winning: float = 0.1
    redownload: float = 0.05
    web_share: float = 0.0
    timeline: str = "production"  # "production" | "developer"
    compress: float = 1.0
    version: str = "4.0"

    def network_for(self, scenario_index: int) -> SkanNetwork | None:
        return next((n for n in self.networks if n.index == scenario_index), None)


def load_skan_config(scenario: Scenario) -> SkanConfig | None:
    """The scenario's SKAN settings, read from its file; None when it has no ``skan:``."""
    source = scenario.source
    if source is None or not Path(source).is_file():
        return None
    doc = read_document(Path(source), error_cls=ScenarioError)
    return skan_config(scenario, doc)


def skan_config_from_data(scenario: Scenario, data: Any, *, source: str = "<scenario>"
                          ) -> SkanConfig | None:
    """The same from plain scenario data (tests); the schema has been checked already."""
    return skan_config(scenario, Document(Path(source), data, {(): 1}))


def skan_config(scenario: Scenario, doc: Document) -> SkanConfig | None:
    raw = doc.data.get("skan") if isinstance(doc.data, Mapping) else None
    if raw is None:
        return None
    parser = _Parser(scenario, doc)
    config = parser.config(raw)
    if parser.problems:
        raise ScenarioError(parser.problems)
    return config


class _Parser:
    def __init__(self, scenario: Scenario, doc: Document) -> None:
        self.scenario, self.doc = scenario, doc
        self.problems: list[str] = []

    def fail(self, where: PathTuple, message: str) -> None:
        self.problems.append(self.doc.problem(where, message))

    def config(self, raw: Mapping[str, Any]) -> SkanConfig:
        app_id = self.scenario.app.ios_app_id
        if app_id is None:
            self.fail(("skan",), "SKAdNetwork postbacks need the app's 'ios' section (app_id)")
        networks = tuple(self.network(item, ("skan", "networks", i))
                         for i, item in enumerate(raw.get("networks", [])))
        names = [n.name for n in networks]
        for index, name in enumerate(names):
            if name in names[:index]:
                self.fail(("skan", "networks", index, "network"), f"duplicate network {name!r}")
        tiers = {int(k): float(v) for k, v in raw.get("tiers", DEFAULT_TIERS).items()}
        if not any(weight > 0 for weight in tiers.values()):
            self.fail(("skan", "tiers"), "expected at least one weight above zero")
            tiers = dict(DEFAULT_TIERS)
        values = tuple(self.rule(item, ("skan", "conversion_values", i))
                       for i, item in enumerate(raw.get("conversion_values", [])))
        return SkanConfig(
            app_id=app_id or 0, networks=networks, tiers=Weighted.from_mapping(tiers),
            values=values, developer_copy=raw.get("developer_copy"),
            installs=raw.get("installs", "all"),
            non_winning=float(raw.get("non_winning", 0.1)),
            redownload=float(raw.get("redownload", 0.05)),
            web_share=float(raw.get("web_share", 0.0)),
            timeline=raw.get("timeline", "production"),
            compress=float(raw.get("compress", 1.0)),
        )

    def network(self, raw: Mapping[str, Any], where: PathTuple) -> SkanNetwork:
        known = [n.name for n in self.scenario.networks]
        name = str(raw["network"])
        index = known.index(name) if name in known else -1
        identifiers = dict(raw.get("source_identifiers", {}))
        if index < 0:
            self.fail((*where, "network"),
                      f"unknown network {name!r}{did_you_mean(name, known)}; "
                      f"known: {', '.join(known)}")
        else:
            campaigns = [c.name for c in self.scenario.networks[index].campaigns]
            for campaign in identifiers:
                if campaign not in campaigns:
                    self.fail((*where, "source_identifiers", campaign),
                              f"unknown campaign of {name!r}"
                              f"{did_you_mean(campaign, campaigns)}")
        return SkanNetwork(name=name, index=index, ad_network_id=raw["ad_network_id"],
                           url=raw["url"], format=raw.get("format", "skan"),
                           source_identifiers=identifiers)

    def rule(self, raw: Mapping[str, Any], where: PathTuple) -> ValueRule:
        event = raw.get("event")
        known = self.scenario.event_names()
        if event is not None and event not in known:
            self.fail((*where, "event"), f"unknown event {event!r}{did_you_mean(event, known)}")
        if event is None and raw.get("revenue_usd") is None:
            self.fail(where, "expected a condition: 'event', 'revenue_usd' or both")
        revenue = raw.get("revenue_usd")
        return ValueRule(fine=raw.get("fine"), coarse=raw.get("coarse"), event=event,
                         revenue_usd=None if revenue is None else float(revenue),
                         lock=bool(raw.get("lock", False)))
