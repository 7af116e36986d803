"""Seeded synthetic traffic: converting touches, attributed installs and their events.

Generation streams: ``journeys`` yields one user at a time, in touch-time order across all
campaigns (a lazy merge of per-campaign streams), so a million installs never sit in memory.
Each campaign draws from its own ``random.Random`` derived from the run seed, so editing one
campaign leaves the others' traffic unchanged.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Container, Iterator
from dataclasses import dataclass
from operator import itemgetter

from sandbox.scenarios.activity import ActivityModel
from sandbox.scenarios.attribution import attribute
from sandbox.scenarios.devices import DeviceKind, device_kinds
from sandbox.scenarios.distributions import Weighted, ctit_seconds
from sandbox.scenarios.identities import Pools, hex_id, make_device
from sandbox.scenarios.journey import Install, Journey, Touch
from sandbox.scenarios.model import Campaign, Network, Scenario

COMPETING_SPAN = 10 * 86400.0  # a competing touch happens up to 10 days before the install

# Macros whose value in generated traffic is None or a text of URL-unreserved characters
# (hex ids, UUIDs, dotted IPs, "<ms>-<digits>" device ids, codes from fixed tables), so a
# URL takes it as it is (``UrlTemplate.renderer(ready=...)``). Not so for live traffic:
# an ingested click id can hold anything.
URL_READY_MACROS = frozenset({
    "click_id", "transaction_id", "install_id", "event_id", "order_id", "idfa", "idfv",
    "gaid", "advertising_id", "android_id", "adid", "device_id", "ip", "country",
    "country_lower", "platform", "os_version", "language",
})


@dataclass(frozen=True)
class CampaignRef:
    network: int
    campaign: int
    spec: Campaign


def sorted_uniform(rng: random.Random, count: int, start: float, span: float) -> Iterator[float]:
    """``count`` uniform times in [start, start + span), ascending, without storing them."""
    position = 0.0
    for remaining in range(count, 0, -1):
        position += (1.0 - position) * (1.0 - rng.random() ** (1.0 / remaining))
        yield start + position * span


def binomial(rng: random.Random, trials: int, rate: float) -> int:
    """Successes in ``trials`` Bernoulli(rate) draws, by skipping geometric gaps."""
    if trials <= 0 or rate <= 0:
        return 0
    if rate >= 1.0:
        return trials
    # geometric_gap inlined, its divisor computed once: one loop turn per success
    log, random_, divisor = math.log, rng.random, math.log(1.0 - rate)
    count, position = 0, int(log(1.0 - random_()) / divisor)
    while position < trials:
        count += 1
        position += 1 + int(log(1.0 - random_()) / divisor)
    return count


def expected_paid_installs(scenario: Scenario) -> float:
    return sum(
        c.clicks * c.install_rate + c.impressions * c.view_install_rate
        for n in scenario.networks for c in n.campaigns
    )


def organic_installs(scenario: Scenario) -> int:
    share = scenario.organic_share
    return round(expected_paid_installs(scenario) * share / (1.0 - share)) if share else 0


class TrafficGenerator:
    """Everything a run needs, built once; ``journeys()`` then streams users."""

    def __init__(self, scenario: Scenario, seed: int | None = None) -> None:
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else seed
        countries = set(scenario.users.countries.items)
        for network in scenario.networks:
            for campaign in network.campaigns:
                if campaign.countries is not None:
                    countries.update(campaign.countries.items)
        self.pools = Pools.build(self.seed, countries)
        self.kinds: dict[str, Weighted[DeviceKind]] = {
            platform: device_kinds(platform) for platform in ("ios", "android")
        }
        self.activity = ActivityModel(scenario.users, self.pools)
        self.sent_events = tuple(_sent_events(network) for network in scenario.networks)
        self.campaigns = tuple(
            CampaignRef(ni, ci, campaign)
            for ni, network in enumerate(scenario.networks)
            for ci, campaign in enumerate(network.campaigns)
        )

    def rng(self, *labels: object) -> random.Random:
        return random.Random(":".join(str(x) for x in (self.seed, *labels)))

    def journeys(self, *, sent_only: bool = False) -> Iterator[Journey]:
        """Every user in touch-time order.

        With ``sent_only`` a journey holds only the events its network postbacks (none for
        organic users) and ``Journey.fired`` counts them all: the same traffic, built lazily.
        """
        for _, journey in heapq.merge(*self.streams(sent_only=sent_only), key=_MOMENT):
            yield journey

    def streams(self, *, sent_only: bool = False) -> list[Iterator[tuple[float, Journey]]]:
        """The per-campaign streams ``journeys`` merges (organic last), each in time order.

        Each stream has its own random stream, so any subset of them can run elsewhere and
        be merged back by (moment, stream index) into the same order as ``journeys``.
        """
        streams = [self._campaign(ref, "click", sent_only) for ref in self.campaigns]
        streams += [self._campaign(ref, "impression", sent_only) for ref in self.campaigns
                    if ref.spec.impressions > 0]
        streams.append(self._organic(sent_only))
        return streams

    def _campaign(
        self, ref: CampaignRef, kind: str, sent_only: bool
    ) -> Iterator[tuple[float, Journey]]:
        spec = ref.spec
        rng = self.rng("campaign", ref.network, ref.campaign, kind)
        if kind == "click":
            count = binomial(rng, spec.clicks, spec.install_rate)
            lookback, profile = spec.click_lookback, spec.ctit
        else:
            count = binomial(rng, spec.impressions, spec.view_install_rate)
            lookback, profile = spec.view_lookback, "normal"
        publishers = spec.publishers or self.pools.publishers
        competing_share = self.scenario.attribution.competing_touch_share
        journey = self._journey
        for moment in sorted_uniform(rng, count, self.scenario.start, self.scenario.days * 86400):
            touch = Touch(kind, hex_id(rng, 24), ref.network, ref.campaign, moment, lookback,
                          publishers[int(rng.random() * len(publishers))])
            install_time = moment + ctit_seconds(rng, profile)
            touches = [touch]
            if rng.random() < competing_share:
                touches.append(self._competing_touch(rng, install_time))
            yield moment, journey(rng, install_time, touches, spec, sent_only)

    def _competing_touch(self, rng: random.Random, install_time: float) -> Touch:
        other = self.campaigns[int(rng.random() * len(self.campaigns))]
        publishers = other.spec.publishers or self.pools.publishers
        return Touch("click", hex_id(rng, 24), other.network, other.campaign,
                     install_time - rng.random() * COMPETING_SPAN, other.spec.click_lookback,
                     publishers[int(rng.random() * len(publishers))])

    def _organic(self, sent_only: bool) -> Iterator[tuple[float, Journey]]:
        rng = self.rng("organic")
        count = organic_installs(self.scenario)
        for moment in sorted_uniform(rng, count, self.scenario.start, self.scenario.days * 86400):
            yield moment, self._journey(rng, moment, [], None, sent_only)

    def _journey(
        self, rng: random.Random, install_time: float, touches: list[Touch],
        origin: Campaign | None, sent_only: bool,
    ) -> Journey:
        users = self.scenario.users
        result = attribute(install_time, touches,
                           view_through=self.scenario.attribution.view_through)
        winner = result.touch
        campaign = self.campaigns_by_touch(winner) if winner is not None else None
        spec = campaign or origin
        countries = (spec.countries if spec and spec.countries else None) or users.countries
        platforms = (spec.platforms if spec and spec.platforms else None) or users.platforms
        platform = platforms.pick(rng)
        device = make_device(
            rng, self.pools, self.kinds[platform].pick(rng), countries.pick(rng),
            att_status=users.att.pick(rng), gaid_zeroed=rng.random() < users.gaid_zeroed,
            install_time=install_time,
        )
        install = Install(f"in_{hex_id(rng, 20)}", install_time, device, winner, len(touches))
        if winner is not None and campaign is not None:
            install.cost = round(rng.uniform(campaign.cpi_min, campaign.cpi_max), 2)
            install.cost_currency = campaign.cost_currency
            install.match_type = _match_type(rng, device.platform, device.idfa, device.gaid)
        keep: Container[str] | None = None
        if sent_only:
            keep = self.sent_events[winner.network] if winner is not None else ()
        events, active_days, fired = self.activity.events(
            rng, install_time, device.country, platform, keep=keep)
        return Journey(install, events, active_days, fired if sent_only else None)

    def campaigns_by_touch(self, touch: Touch) -> Campaign:
        return self.scenario.networks[touch.network].campaigns[touch.campaign]


_MOMENT = itemgetter(0)  # of a (moment, journey) stream item


def _sent_events(network: Network) -> frozenset[str] | None:
    """The event names ``network`` gets a postback for; None means every name."""
    if network.send_events is None:
        return None if network.event is not None else frozenset(network.events)
    return frozenset(name for name in network.send_events
                     if network.template_for(name) is not None)


def _match_type(rng: random.Random, platform: str, idfa: str | None, gaid: str | None) -> str:
    if platform == "android":
        return "gp_referrer" if rng.random() < 0.85 else "id_matching"
    if idfa and not idfa.startswith("00000000"):
        return "id_matching"
    return "fingerprint"


def generate(scenario: Scenario, seed: int | None = None) -> Iterator[Journey]:
    """Stream the scenario's users (organic included) for ``seed`` (default: the scenario's)."""
    return TrafficGenerator(scenario, seed).journeys()
