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
from json.encoder import encode_basestring
from typing import IO, Any

from sandbox.generate import TrafficGenerator
from sandbox.journey import Journey
from sandbox.macro_catalogue import MacroContext, iso
from sandbox.macros import PostbackTemplate
from sandbox.scenario_model import Scenario

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_str = encode_basestring  # what _dumps does with a str, without the Python-level wrapper


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
    click_time: float | None = None  # simulated unix seconds of the winning touch (for CTIT)

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
        return f'{{"seq":{self.seq},"id":{_str(self.postback_id)},{self._json_tail()}'

    def _json_tail(self) -> str:
        """``to_json`` after the seq and id: what a render job computes (see write_run_ndjson)."""
        body = self.body_text
        headers = _dumps(dict(self.headers)) if self.headers else "{}"
        return (
            f'"kind":{_str(self.kind)},"network":{_str(self.network)},'
            f'"campaign":{_str(self.campaign)},'
            f'"method":{_str(self.method)},"url":{_str(self.url)},"headers":{headers},'
            f'"body":{"null" if body is None else _str(body)},'
            f'"scheduled_at":"{iso(self.scheduled_at)}","install_id":{_str(self.install_id)},'
            f'"click_id":{_str(self.click_id)},'
            f'"event_id":{"null" if self.event_id is None else _str(self.event_id)},'
            f'"event_name":{"null" if self.event_name is None else _str(self.event_name)}}}'
        )


class _Fields:
    """``RenderedPostback``'s slots, writable: filled, then turned into the frozen class.

    A frozen dataclass sets each field through ``object.__setattr__`` (several microseconds
    for fourteen fields, once per postback); plain slot stores cost a fraction of that.
    Assigning ``__class__`` between classes with the same slots is checked by CPython (a
    mismatch raises TypeError), and the result is an ordinary ``RenderedPostback``.
    """

    __slots__ = ("seq", "postback_id", "kind", "network", "campaign", "method", "url",
                 "headers", "body", "scheduled_at", "install_id", "click_id", "event_id",
                 "event_name", "click_time")
    seq: int
    postback_id: str
    kind: str
    network: str
    campaign: str
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    scheduled_at: float
    install_id: str
    click_id: str
    event_id: str | None
    event_name: str | None
    click_time: float | None


def _postback(
    seq: int, postback_id: str, kind: str, network: str, campaign: str, method: str, url: str,
    headers: tuple[tuple[str, str], ...], body: bytes | None, scheduled_at: float,
    install_id: str, click_id: str, event_id: str | None, event_name: str | None,
    click_time: float | None = None,
) -> RenderedPostback:
    """``RenderedPostback(...)`` with positional fields, built the cheap way (see _Fields)."""
    built = _Fields()
    built.seq, built.postback_id, built.kind, built.network = seq, postback_id, kind, network
    built.campaign, built.method, built.url, built.headers = campaign, method, url, headers
    built.body, built.scheduled_at, built.install_id = body, scheduled_at, install_id
    built.click_id, built.event_id, built.event_name = click_id, event_id, event_name
    built.click_time = click_time
    built.__class__ = RenderedPostback  # type: ignore[assignment]
    return built  # type: ignore[return-value]


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
    """Turns journeys into rendered postbacks; ``summary`` counts what went by.

    ``render_journey`` yields ``RenderedPostback`` objects; ``journey_lines`` the same
    postbacks straight as NDJSON lines (what ``run --dry-run`` writes), skipping the objects.
    """

    def __init__(self, scenario: Scenario, seed: int) -> None:
        self.scenario = scenario
        self.ids = random.Random(f"{seed}:postback-ids")
        self.summary = RunSummary()
        self._seq = 0
        # per network: event name -> the plan it is sent with (None: not sent)
        self._plans: list[dict[str, _Plan | None]] = [{} for _ in scenario.networks]

    def render(self, journeys: Iterable[Journey]) -> Iterator[RenderedPostback]:
        for journey in journeys:
            yield from self.render_journey(journey)

    def render_journey(self, journey: Journey) -> Iterator[RenderedPostback]:
        for plan, ctx, url, headers, body, moment in self._walk(journey):
            event = ctx.event
            install = ctx.install
            assert install.touch is not None and ctx.campaign is not None
            yield _postback(
                self._seq, ctx.postback_id, ctx.kind, ctx.network.name, ctx.campaign.name,
                plan.method, url, plan.headers if headers is None else headers,
                None if body is None else body.encode("utf-8"), moment, install.install_id,
                install.touch.touch_id,
                event.event_id if event is not None else None,
                event.name if event is not None else None,
                install.touch.time,
            )

    def journey_lines(self, journey: Journey, *, numbered: bool = True) -> list[str]:
        """``[p.to_json() for p in render_journey(journey)]``, built without the objects;
        without ``numbered``, each line lacks its leading ``{"seq":..,"id":..,``."""
        lines = []
        ids_json = ""
        for plan, ctx, url, headers, body, moment in self._walk(journey):
            if not ids_json:
                install = ctx.install
                assert install.touch is not None
                ids_json = (f'","install_id":{_str(install.install_id)},'
                            f'"click_id":{_str(install.touch.touch_id)},')
            event = ctx.event
            line = (
                f"{plan.head(ctx)}{_str(url)}"
                f"{plan.static_json if headers is None else _headers_body(headers, body)}"
                f"{iso(moment)}{ids_json}"
                f"{_NO_EVENT if event is None else _event_json(event.event_id, event.name)}"
            )
            lines.append(f'{{"seq":{self._seq},"id":"{ctx.postback_id}",{line}'
                         if numbered else line)
        return lines

    def _walk(self, journey: Journey) -> Iterator[
            tuple[_Plan, MacroContext, str, tuple[tuple[str, str], ...] | None, str | None,
                  float]]:
        """Each postback of ``journey``: plan, context, URL, headers (None when the plan's
        are static: ``plan.static_json`` has them), body text and moment; counts them."""
        install = journey.install
        summary = self.summary
        summary.installs += 1
        summary.events += journey.event_count
        touch = install.touch
        if touch is None:
            summary.organic += 1
            return
        network = self.scenario.networks[touch.network]
        ctx = MacroContext("install", install, None, self.scenario.app, network,
                           network.campaigns[touch.campaign], "")
        plans = self._plans[touch.network]
        plan = plans.get(_INSTALL, _UNKNOWN)
        if plan is _UNKNOWN:
            plan = plans[_INSTALL] = _plan(network.install, "install", network.name)
        if plan is not None:
            self._next_id(ctx)
            yield plan, ctx, plan.url(ctx), *plan.extras(ctx), install.time
        if not journey.events:
            return
        ctx.kind = "event"
        bound: dict[int, Any] = {}  # this install's URL functions, install values filled
        for event in journey.events:
            plan = plans.get(event.name, _UNKNOWN)
            if plan is _UNKNOWN:
                plan = plans[event.name] = _plan(network.template_for(event.name), "event",
                                                 network.name)
            if plan is None:
                continue
            ctx.event = event
            self._next_id(ctx)
            finish = bound.get(id(plan))
            if finish is None:
                finish = bound[id(plan)] = plan.bind(ctx)
            yield plan, ctx, finish(ctx), *plan.extras(ctx), event.time

    def _next_id(self, ctx: MacroContext) -> None:
        """Number the next postback, draw its id and count it."""
        self._seq += 1
        ctx.postback_id = f"pb_{self.ids.getrandbits(96):024x}"
        summary = self.summary
        summary.postbacks += 1
        by_network = summary.by_network
        name = ctx.network.name
        by_network[name] = by_network.get(name, 0) + 1


_INSTALL = "\0install"  # the install plan's key among event names (no event is called that)
_NO_EVENT = '"event_id":null,"event_name":null}'


def _event_json(event_id: str, name: str) -> str:
    return f'"event_id":{_str(event_id)},"event_name":{_str(name)}}}'


def _headers_body(headers: tuple[tuple[str, str], ...], body: str | None) -> str:
    return (f',"headers":{_dumps(dict(headers)) if headers else "{}"},'
            f'"body":{"null" if body is None else _str(body)},"scheduled_at":"')


class _Plan:
    """One network's template for one kind, compiled: the URL functions, and the parts of
    the NDJSON line that are the same for every postback it renders."""

    __slots__ = ("template", "method", "url", "bind", "headers", "static_json", "heads", "kind",
                 "network_json")

    def __init__(self, template: PostbackTemplate, kind: str, network: str) -> None:
        self.template = template
        self.method = template.method
        drop = template.drop_empty
        self.url = template.url.renderer(drop_empty=drop)
        self.bind = template.url.binder(drop_empty=drop)
        self.kind = kind
        self.network_json = _str(network)
        static = [(name, value.fixed_text()) for name, value in template.headers]
        self.headers = tuple((n, v) for n, v in static if v is not None)
        dynamic = template.body is not None or len(self.headers) < len(static)
        self.static_json = None if dynamic else _headers_body(self.headers, None)
        self.heads: dict[str, str] = {}

    def extras(self, ctx: MacroContext) -> tuple[tuple[tuple[str, str], ...] | None, str | None]:
        """Headers (None when static) and body text for ``ctx``."""
        if self.static_json is not None:
            return None, None
        template = self.template
        body = template.body
        text = None if body is None else body.render_text(ctx, drop_empty=template.drop_empty)
        return template.render_headers(ctx), text

    def head(self, ctx: MacroContext) -> str:
        """The line from ``"kind"`` to ``"url":`` for ``ctx``'s campaign."""
        assert ctx.campaign is not None
        campaign = ctx.campaign.name
        head = self.heads.get(campaign)
        if head is None:
            head = self.heads[campaign] = (
                f'"kind":"{self.kind}","network":{self.network_json},'
                f'"campaign":{_str(campaign)},"method":{_str(self.method)},"url":')
        return head


def _plan(template: PostbackTemplate | None, kind: str, network: str) -> _Plan | None:
    return None if template is None else _Plan(template, kind, network)


_UNKNOWN: Any = object()


def render_run(
    scenario: Scenario, seed: int | None = None, *, renderer: Renderer | None = None
) -> Iterator[RenderedPostback]:
    """Generate the scenario's traffic and stream its rendered postbacks."""
    run_seed = scenario.seed if seed is None else seed
    renderer = renderer or Renderer(scenario, run_seed)
    return renderer.render(TrafficGenerator(scenario, run_seed).journeys(sent_only=True))


def write_ndjson(postbacks: Iterable[RenderedPostback], out: IO[str]) -> int:
    """One JSON object per line; returns how many were written."""
    count = 0
    lines: list[str] = []
    try:
        for postback in postbacks:
            lines.append(postback.to_json())
            if len(lines) == _LINES_PER_WRITE:
                count += write_lines(out, lines)
    finally:
        count += write_lines(out, lines)
    return count


_LINES_PER_WRITE = 256


def write_lines(out: IO[str], lines: list[str]) -> int:
    """Write ``lines`` (each with a newline) in one call, then empty the list."""
    if lines:
        out.write("\n".join(lines) + "\n")
    written = len(lines)
    lines.clear()
    return written


def write_run_ndjson(
    scenario: Scenario, out: IO[str], seed: int | None = None, *, jobs: int = 1
) -> RunSummary:
    """``write_ndjson(render_run(scenario, seed), out)``, faster, using up to ``jobs``
    processes (``sandbox/render_jobs.py``); the bytes are the same for any ``jobs``."""
    run_seed = scenario.seed if seed is None else seed
    if jobs > 1:
        from sandbox import render_jobs  # it builds on this module

        summary = render_jobs.write_with_jobs(scenario, out, run_seed, jobs)
        if summary is not None:
            return summary
    renderer = Renderer(scenario, run_seed)
    lines: list[str] = []
    try:
        for journey in TrafficGenerator(scenario, run_seed).journeys(sent_only=True):
            lines += renderer.journey_lines(journey)
            if len(lines) >= _LINES_PER_WRITE:
                write_lines(out, lines)
    finally:
        write_lines(out, lines)
    return renderer.summary
