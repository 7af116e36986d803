"""A scenario run becomes a stream of rendered postbacks, ready for delivery or --dry-run.

Only attributed installs are postbacked, each to the network of its winning touch: the
install postback, then every in-app event that network wants (``send_events``). Organic
users generate traffic but no postbacks.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from sandbox.compact_json import compact_json
from sandbox.scenarios.generate import TrafficGenerator
from sandbox.scenarios.journey import AppEvent, Journey
from sandbox.scenarios.macro_catalogue import MacroContext
from sandbox.scenarios.model import Scenario
from sandbox.scenarios.numbered_lines import NumberedLines, uses_postback_id
from sandbox.scenarios.postback_template import PostbackTemplate
from sandbox.scenarios.render_plan import Plan, json_str
from sandbox.scenarios.time_text import iso
from sandbox.scenarios.url_template import UrlRenderer

_str = json_str


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
        """``to_json`` after the seq and id: what a render job computes (render_jobs.py)."""
        body = self.body_text
        headers = compact_json(dict(self.headers)) if self.headers else "{}"
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
    Measured: bench_render_paths.py --baseline (a tree calling the constructor), objects
    97,513 against 87,534 postbacks/s (x1.11); render_run alone 89,730-96,075 against
    83,317-85,381.
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
        self._plans: list[dict[str, Plan | None]] = [{} for _ in scenario.networks]
        # one plan per (template, kind, network): events sharing a template share its plan,
        # so an install's event URLs are bound once
        self._compiled: dict[tuple[int, str, str], Plan] = {}

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
        without ``numbered``, each line lacks its leading ``{"seq":..,"id":..,`` (and no id
        is drawn: the process that numbers the lines draws them).

        Only for journeys of ``TrafficGenerator``: their ids go into URLs unencoded
        (``URL_READY_MACROS``)."""
        ctx, sent = self._sent(journey)
        count = len(sent)
        if not count:
            return []
        assert ctx is not None
        install = ctx.install
        assert install.touch is not None
        self._count(ctx.network.name, count)
        ids_json = (f'","install_id":{_str(install.install_id)},'
                    f'"click_id":{_str(install.touch.touch_id)},')
        if numbered:
            seq = self._seq
            self._seq = seq + count
            # one draw of 96 * count bits is the same stream as count draws of 96 bits: the
            # first id is the lowest 96 bits, so the ids are read from the end of the hex
            hexed = "%0*x" % (24 * count, self.ids.getrandbits(96 * count))  # noqa: UP031
            end = 24 * count
        lines = []
        bound: dict[Plan, tuple[UrlRenderer, str]] = {}
        start = ""  # '{"seq":..,"id":"..",' when numbered; a render job's lines go without
        for plan, event in sent:
            if numbered:
                ctx.postback_id = postback_id = f"pb_{hexed[end - 24:end]}"
                end -= 24
                seq += 1
                start = f'{{"seq":{seq},"id":"{postback_id}",'
            # The URL-and-body steps repeat in both branches on purpose: moved into a Plan
            # method they cost 2-3 us more per postback (bench_generate.py, --jobs 1).
            if event is None:
                url = plan.generated_url(ctx)
                if not plan.url_plain:
                    url = plan.url_text(url)
                static = plan.static_json
                if static is None:
                    static = plan.dynamic_json(ctx)
                line = (f'{start}{plan.head(ctx)}"{url}"{static}'
                        f"{iso(install.time)}"
                        f"{ids_json}{_NO_EVENT}")
            else:
                ctx.kind = "event"
                ctx.event = event
                finish_head = bound.get(plan)
                if finish_head is None:
                    finish_head = bound[plan] = (plan.generated_bind(ctx), plan.head(ctx))
                url = finish_head[0](ctx)
                if not plan.url_plain:
                    url = plan.url_text(url)
                static = plan.static_json
                if static is None:
                    static = plan.dynamic_json(ctx)
                line = (f'{start}{finish_head[1]}"{url}"{static}'
                        f"{iso(event.time)}"
                        f'{ids_json}"event_id":"{event.event_id}",'  # hex: no escapes
                        f'"event_name":{_str(event.name)}}}')
            lines.append(line)
        return lines

    def _sent(self, journey: Journey
              ) -> tuple[MacroContext | None, list[tuple[Plan, AppEvent | None]]]:
        """The context for ``journey``'s postbacks and what is sent, in order: the install
        plan (event None), then each event a plan sends; counts the install and its events."""
        install = journey.install
        summary = self.summary
        summary.installs += 1
        summary.events += journey.event_count
        touch = install.touch
        if touch is None:
            summary.organic += 1
            return None, []
        network = self.scenario.networks[touch.network]
        plans = self._plans[touch.network]
        sent: list[tuple[Plan, AppEvent | None]] = []
        plan = plans.get(_INSTALL, _UNKNOWN)
        if plan is _UNKNOWN:
            plan = plans[_INSTALL] = self._plan(network.install, "install", network.name)
        if plan is not None:
            sent.append((plan, None))
        for event in journey.events:
            plan = plans.get(event.name, _UNKNOWN)
            if plan is _UNKNOWN:
                plan = plans[event.name] = self._plan(network.template_for(event.name),
                                                      "event", network.name)
            if plan is not None:
                sent.append((plan, event))
        ctx = MacroContext("install", install, None, self.scenario.app, network,
                           network.campaigns[touch.campaign], "")
        return ctx, sent

    def _plan(self, template: PostbackTemplate | None, kind: str, network: str
              ) -> Plan | None:
        if template is None:
            return None
        key = (id(template), kind, network)
        plan = self._compiled.get(key)
        if plan is None:
            plan = self._compiled[key] = Plan(template, kind, network)
        return plan

    def _walk(self, journey: Journey) -> Iterator[
            tuple[Plan, MacroContext, str, tuple[tuple[str, str], ...] | None, str | None,
                  float]]:
        """Each postback of ``journey``: plan, context, URL, headers (None when the plan's
        are static: ``plan.static_json`` has them), body text and moment; counts them as
        they go (a caller may stop early)."""
        ctx, sent = self._sent(journey)
        if ctx is None:
            return
        bound: dict[int, UrlRenderer] = {}  # this install's URL functions, install values filled
        for plan, event in sent:
            self._next_id(ctx)
            if event is None:
                yield plan, ctx, plan.url(ctx), *plan.extras(ctx), ctx.install.time
                continue
            ctx.kind = "event"
            ctx.event = event
            finish = bound.get(id(plan))
            if finish is None:
                finish = bound[id(plan)] = plan.bind(ctx)
            yield plan, ctx, finish(ctx), *plan.extras(ctx), event.time

    def _next_id(self, ctx: MacroContext) -> None:
        """Number the next postback, draw its id and count it."""
        self._seq += 1
        ctx.postback_id = f"pb_{self.ids.getrandbits(96):024x}"
        self._count(ctx.network.name, 1)

    def _count(self, network: str, postbacks: int) -> None:
        summary = self.summary
        summary.postbacks += postbacks
        by_network = summary.by_network
        by_network[network] = by_network.get(network, 0) + postbacks


_INSTALL = "\0install"  # the install plan's key among event names (no event is called that)
_NO_EVENT = '"event_id":null,"event_name":null}'


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


def write_run_one_job(scenario: Scenario, out: IO[str], run_seed: int) -> RunSummary:
    """``write_ndjson(render_run(scenario, run_seed), out)``, faster, in this process (with
    ``--jobs``: ``sandbox/scenarios/render_jobs.write_run_ndjson``)."""
    renderer = Renderer(scenario, run_seed)
    journeys = TrafficGenerator(scenario, run_seed).journeys(sent_only=True)
    if uses_postback_id(scenario):  # each line's id must be drawn as it is rendered
        write_ndjson_lines(map(renderer.journey_lines, journeys), out)
        return renderer.summary
    numbered = NumberedLines(out, run_seed)
    try:
        for journey in journeys:
            numbered.add(renderer.journey_lines(journey, numbered=False))
    finally:
        numbered.close()
    return renderer.summary


def write_ndjson_lines(batches: Iterable[list[str]], out: IO[str]) -> None:
    """Write lists of NDJSON lines, a few hundred lines per write."""
    lines: list[str] = []
    try:
        for batch in batches:
            lines += batch
            if len(lines) >= _LINES_PER_WRITE:
                write_lines(out, lines)
    finally:
        write_lines(out, lines)
