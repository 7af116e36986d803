"""The SKAN stream of a run: the scenario's iOS installs won by a SKAN network become signed
postbacks (and developer copies), in the order they fall due on the run's timeline.

It regenerates the same seeded traffic as the main stream (each campaign has its own random
stream, so the installs are the same ones), with every event, because conversion values
depend on events the network's own postbacks may not include. Each install draws from its own
random stream, keyed by the install id, so the postbacks do not depend on what else is in the
run.
"""

from __future__ import annotations

import dataclasses
import heapq
import random
import zlib
from collections.abc import Iterable, Iterator

from cryptography.hazmat.primitives.asymmetric import ec

from sandbox.scenarios.generate import TrafficGenerator
from sandbox.scenarios.journey import Journey
from sandbox.scenarios.model import Scenario
from sandbox.scenarios.render import RenderedPostback, Renderer
from sandbox.scenarios.skan_section import SkanConfig, SkanNetwork
from sandbox.skan.postbacks import Attribution, copy_url, new_uuid, rendered, signed_body
from sandbox.skan.rules import (
    PostbackPlan,
    plan_postbacks,
    timeline,
    updates,
    window_values,
)

AUTHORIZED = 3  # ATT status


class SkanStream:
    def __init__(self, scenario: Scenario, config: SkanConfig, key: ec.EllipticCurvePrivateKey,
                 seed: int | None = None) -> None:
        self.scenario, self.config, self.key = scenario, config, key
        self.seed = scenario.seed if seed is None else seed
        self.line = timeline(config.timeline, config.compress)

    def postbacks(self, journeys: Iterable[tuple[float, Journey]] | None = None, *,
                  first_seq: int = 1) -> Iterator[RenderedPostback]:
        """Every postback in due order; ``journeys`` as (touch moment, journey) in moment
        order (default: the scenario's paid traffic for this seed)."""
        if journeys is None:
            journeys = paid_journeys(self.scenario, self.seed)
        pending: list[tuple[float, int, RenderedPostback]] = []
        order = 0
        seq = first_seq
        for moment, journey in journeys:
            # every later install is at or after ``moment``, so what is due by then is final
            while pending and pending[0][0] <= moment:
                yield dataclasses.replace(heapq.heappop(pending)[2], seq=seq)
                seq += 1
            for postback in self.for_journey(journey):
                heapq.heappush(pending, (postback.scheduled_at, order, postback))
                order += 1
        while pending:
            yield dataclasses.replace(heapq.heappop(pending)[2], seq=seq)
            seq += 1

    def for_journey(self, journey: Journey) -> list[RenderedPostback]:
        """One install's postbacks (seq 0: numbered by ``postbacks``), unordered."""
        install = journey.install
        touch = install.touch
        if touch is None or install.device.platform != "ios":
            return []
        network = self.config.network_for(touch.network)
        if network is None:
            return []
        if self.config.installs == "without_att_consent" and \
                install.device.att_status == AUTHORIZED:
            return []
        rng = random.Random(f"{self.seed}:skan:{install.install_id}")
        tier = self.config.tiers.pick(rng)
        winner = self._attribution(journey, network, touch.campaign, rng,
                                   fidelity=1 if touch.kind == "click" else 0)
        loser = self._non_winner(journey, network, rng)
        values = window_values(updates(journey.events, install.time, self.config.values))
        plans = plan_postbacks(tier=tier, did_win=True, values=values, line=self.line, rng=rng)
        found = self._render(winner, plans, rng)
        if loser is not None:
            other, loser_tier = loser
            plans = plan_postbacks(tier=loser_tier, did_win=False, values=values,
                                   line=self.line, rng=rng)
            found += self._render(other, plans, rng)
        return found

    def _attribution(self, journey: Journey, network: SkanNetwork, campaign_index: int,
                     rng: random.Random, *, fidelity: int) -> Attribution:
        install = journey.install
        campaign = self.scenario.networks[network.index].campaigns[campaign_index]
        publisher = install.touch.site_id if install.touch else ""
        four = network.source_identifiers.get(campaign.name) or (
            f"{zlib.crc32(publisher.encode()) % 100:02d}{(campaign_index + 1) % 100:02d}")
        redownload = rng.random() < self.config.redownload
        web = rng.random() < self.config.web_share
        return Attribution(
            network=network, campaign=campaign.name, four_digits=four,
            app_id=self.config.app_id, redownload=redownload, fidelity=fidelity,
            source_app_id=None if web else publisher_app_id(publisher),
            source_domain=publisher_domain(publisher) if web else None,
            country=install.device.country, install_id=install.install_id,
            click_id=install.touch.touch_id if install.touch else "",
            install_time=install.time,
        )

    def _non_winner(self, journey: Journey, winner: SkanNetwork, rng: random.Random
                    ) -> tuple[Attribution, int] | None:
        """Another SKAN network whose ad the user also saw, with its tier; or None."""
        others = [n for n in self.config.networks if n.index != winner.index and n.index >= 0]
        draw = rng.random()
        if not others or draw >= self.config.non_winning:
            return None
        network = others[int(rng.random() * len(others))]
        campaigns = self.scenario.networks[network.index].campaigns
        fidelity = 0 if rng.random() < 0.5 else 1
        who = self._attribution(journey, network, int(rng.random() * len(campaigns)), rng,
                                fidelity=fidelity)
        return dataclasses.replace(who, click_id=""), self.config.tiers.pick(rng)

    def _render(self, who: Attribution, plans: list[PostbackPlan], rng: random.Random
                ) -> list[RenderedPostback]:
        found = []
        for plan in plans:
            identifier = new_uuid(rng)
            body = signed_body(who, plan, identifier, self.key, self.config.version)
            found.append(rendered(who, plan, body, identifier, seq=0, url=who.network.url,
                                  copy=False))
            if plan.did_win and self.config.developer_copy:
                found.append(rendered(who, plan, body, identifier, seq=0, copy=True,
                                      url=copy_url(self.config.developer_copy, who.network)))
        return found


def publisher_app_id(publisher: str) -> int:
    """A stable App Store-like id (9 digits) for a publisher bundle id."""
    return 100_000_000 + zlib.crc32(publisher.encode()) % 900_000_000


def publisher_domain(publisher: str) -> str:
    """``com.acme.puzzles`` advertises on the web as ``acme.com``."""
    parts = [p for p in publisher.split(".") if p]
    return f"{parts[1]}.{parts[0]}" if len(parts) >= 2 else f"{publisher or 'publisher'}.example"


def paid_journeys(scenario: Scenario, seed: int) -> Iterator[tuple[float, Journey]]:
    """The run's paid users with all their events, in touch-time order (organic left out:
    ``TrafficGenerator.streams`` puts it last)."""
    streams = TrafficGenerator(scenario, seed).streams(sent_only=False)[:-1]
    return heapq.merge(*streams, key=lambda item: item[0])


def with_skan(main: Iterable[RenderedPostback], renderer: Renderer, stream: SkanStream | None
              ) -> Iterator[RenderedPostback]:
    """The main stream, then the SKAN stream numbered on from it (counted in the summary)."""
    yield from main
    if stream is None:
        return
    summary = renderer.summary
    for postback in stream.postbacks(first_seq=summary.postbacks + 1):
        summary.postbacks += 1
        summary.by_network[postback.network] = summary.by_network.get(postback.network, 0) + 1
        yield postback
