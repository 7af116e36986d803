"""A scenario run becomes a stream of rendered postbacks, ready for delivery or --dry-run.

Only attributed installs are postbacked, each to the network of its winning touch: the
install postback, then every in-app event that network wants (``send_events``). Organic
users generate traffic but no postbacks.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from sandbox.generate import TrafficGenerator
from sandbox.journey import Journey
from sandbox.macro_catalogue import MacroContext, iso
from sandbox.macros import PostbackTemplate
from sandbox.scenario_model import Network, Scenario

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_str = _dumps  # a str encodes through the C fast path


@dataclass(frozen=True, slots=True)
class RenderedPostback:
    """One postback as it will go on the wire (before signing), plus the ids it is about."""

    seq: int  # 1-based position in the run's stream
    postback_id: str  # stable across retries: a delivery idempotency key (webhook-id)
    kind: str  # "install" | "event"
    network: str
    campaign: str
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    scheduled_at: float  # simulated unix seconds of the install or event
    install_id: str
    click_id: str
    event_id: str | None = None
    event_name: str | None = None

    @property
    def body_text(self) -> str | None:
        return None if self.body is None else self.body.decode("utf-8")

    def to_dict(self) -> dict[str, Any]:
        """The NDJSON shape of ``run --dry-run``."""
        return {
            "seq": self.seq, "id": self.postback_id, "kind": self.kind,
            "network": self.network, "campaign": self.campaign, "method": self.method,
            "url": self.url, "headers": dict(self.headers), "body": self.body_text,
            "scheduled_at": iso(self.scheduled_at), "install_id": self.install_id,
            "click_id": self.click_id, "event_id": self.event_id, "event_name": self.event_name,
        }


    def to_json(self) -> str:
        """``json.dumps(self.to_dict())`` in compact form, built by hand for speed."""
        body = self.body_text
        headers = _dumps(dict(self.headers)) if self.headers else "{}"
        return (
            f'{{"seq":{self.seq},"id":{_str(self.postback_id)},"kind":{_str(self.kind)},'
            f'"network":{_str(self.network)},"campaign":{_str(self.campaign)},'
            f'"method":{_str(self.method)},"url":{_str(self.url)},"headers":{headers},'
            f'"body":{"null" if body is None else _str(body)},'
            f'"scheduled_at":"{iso(self.scheduled_at)}","install_id":{_str(self.install_id)},'
            f'"click_id":{_str(self.click_id)},'
            f'"event_id":{"null" if self.event_id is None else _str(self.event_id)},'
            f'"event_name":{"null" if self.event_name is None else _str(self.event_name)}}}'
        )


@dataclass
class RunSummary:
    installs: int = 0
    organic: int = 0
    events: int = 0
    postbacks: int = 0
    by_network: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"installs": self.installs, "attributed": self.installs - self.organic,
                "organic": self.organic, "events": self.events, "postbacks": self.postbacks,
                "by_network": dict(self.by_network)}


class Renderer:
    """Turns journeys into rendered postbacks; ``summary`` counts what went by."""

    def __init__(self, scenario: Scenario, seed: int) -> None:
        self.scenario = scenario
        self.ids = random.Random(f"{seed}:postback-ids")
        self.summary = RunSummary()
        self._seq = 0
        self._partials: dict[int, str] = {}  # per install: template id -> partial URL

    def render(self, journeys: Iterable[Journey]) -> Iterator[RenderedPostback]:
        for journey in journeys:
            yield from self.render_journey(journey)

    def render_journey(self, journey: Journey) -> Iterator[RenderedPostback]:
        install = journey.install
        summary = self.summary
        self._partials.clear()
        summary.installs += 1
        summary.events += len(journey.events)
        touch = install.touch
        if touch is None:
            summary.organic += 1
            return
        network = self.scenario.networks[touch.network]
        campaign = network.campaigns[touch.campaign]
        ctx = MacroContext("install", install, None, self.scenario.app, network, campaign, "")
        if network.install is not None:
            yield self._one(ctx, network, network.install, install.time)
        ctx.kind = "event"
        for event in journey.events:
            template = network.template_for(event.name)
            if template is not None:
                ctx.event = event
                yield self._one(ctx, network, template, event.time)

    def _url(self, ctx: MacroContext, template: PostbackTemplate) -> str:
        if template.drop_empty:
            return template.url.render(ctx, drop_empty=True)
        if ctx.event is None:
            return template.url.render(ctx)
        key = id(template)
        partial = self._partials.get(key)
        if partial is None:
            partial = self._partials[key] = template.url.partial(ctx)
        return template.url.finish(partial, ctx)

    def _one(self, ctx: MacroContext, network: Network, template: PostbackTemplate,
             moment: float) -> RenderedPostback:
        self._seq += 1
        ctx.postback_id = f"pb_{self.ids.getrandbits(96):024x}"
        drop = template.drop_empty
        body = template.body.render(ctx, drop_empty=drop) if template.body is not None else None
        self.summary.postbacks += 1
        self.summary.by_network[network.name] = self.summary.by_network.get(network.name, 0) + 1
        event = ctx.event
        assert ctx.install.touch is not None and ctx.campaign is not None
        return RenderedPostback(
            seq=self._seq, postback_id=ctx.postback_id, kind=ctx.kind, network=network.name,
            campaign=ctx.campaign.name, method=template.method,
            url=self._url(ctx, template), headers=template.render_headers(ctx),
            body=body, scheduled_at=moment, install_id=ctx.install.install_id,
            click_id=ctx.install.touch.touch_id,
            event_id=event.event_id if event is not None else None,
            event_name=event.name if event is not None else None,
        )


def render_run(
    scenario: Scenario, seed: int | None = None, *, renderer: Renderer | None = None
) -> Iterator[RenderedPostback]:
    """Generate the scenario's traffic and stream its rendered postbacks."""
    run_seed = scenario.seed if seed is None else seed
    renderer = renderer or Renderer(scenario, run_seed)
    return renderer.render(TrafficGenerator(scenario, run_seed).journeys())


def write_ndjson(postbacks: Iterable[RenderedPostback], out: IO[str]) -> int:
    """One JSON object per line; returns how many were written."""
    count = 0
    for postback in postbacks:
        out.write(postback.to_json() + "\n")
        count += 1
    return count
