"""A scenario run becomes a stream of rendered postbacks, ready for delivery or --dry-run.

Only attributed installs are postbacked, each to the network of its winning touch: the
install postback, then every in-app event that network wants (``send_events``). Organic
users generate traffic but no postbacks.
"""

from __future__ import annotations

import heapq
import json
import multiprocessing
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from multiprocessing.connection import Connection
from operator import itemgetter
from typing import IO, Any

from sandbox.errors import SandboxError
from sandbox.generate import TrafficGenerator, organic_installs
from sandbox.journey import Journey
from sandbox.macro_catalogue import MacroContext, iso
from sandbox.macros import Compiled, MacroRef, PostbackTemplate, UrlPartial
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
                 "event_name")
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


def _postback(
    seq: int, postback_id: str, kind: str, network: str, campaign: str, method: str, url: str,
    headers: tuple[tuple[str, str], ...], body: bytes | None, scheduled_at: float,
    install_id: str, click_id: str, event_id: str | None, event_name: str | None,
) -> RenderedPostback:
    """``RenderedPostback(...)`` with positional fields, built the cheap way (see _Fields)."""
    built = _Fields()
    built.seq, built.postback_id, built.kind, built.network = seq, postback_id, kind, network
    built.campaign, built.method, built.url, built.headers = campaign, method, url, headers
    built.body, built.scheduled_at, built.install_id = body, scheduled_at, install_id
    built.click_id, built.event_id, built.event_name = click_id, event_id, event_name
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
    """Turns journeys into rendered postbacks; ``summary`` counts what went by."""

    def __init__(self, scenario: Scenario, seed: int) -> None:
        self.scenario = scenario
        self.ids = random.Random(f"{seed}:postback-ids")
        self.summary = RunSummary()
        self._seq = 0
        # per network: event name -> the template it is sent with (None: not sent)
        self._templates: list[dict[str, PostbackTemplate | None]] = [
            {} for _ in scenario.networks]

    def render(self, journeys: Iterable[Journey]) -> Iterator[RenderedPostback]:
        for journey in journeys:
            yield from self.render_journey(journey)

    def render_journey(self, journey: Journey) -> Iterator[RenderedPostback]:
        install = journey.install
        summary = self.summary
        summary.installs += 1
        summary.events += journey.event_count
        touch = install.touch
        if touch is None:
            summary.organic += 1
            return
        network = self.scenario.networks[touch.network]
        campaign = network.campaigns[touch.campaign]
        ctx = MacroContext("install", install, None, self.scenario.app, network, campaign, "")
        template = network.install
        if template is not None:
            yield self._one(ctx, template, template.url.render(
                ctx, drop_empty=template.drop_empty), install.time)
        if not journey.events:
            return
        ctx.kind = "event"
        templates = self._templates[touch.network]
        partials: dict[int, UrlPartial] = {}  # this install's URLs, install values filled
        for event in journey.events:
            template = templates.get(event.name, _UNKNOWN)
            if template is _UNKNOWN:
                template = templates[event.name] = network.template_for(event.name)
            if template is None:
                continue
            ctx.event = event
            url_template = template.url
            partial = partials.get(id(url_template))
            if partial is None:
                partial = partials[id(url_template)] = url_template.partial(
                    ctx, drop_empty=template.drop_empty)
            yield self._one(ctx, template, url_template.finish(partial, ctx), event.time)

    def _one(self, ctx: MacroContext, template: PostbackTemplate, url: str,
             moment: float) -> RenderedPostback:
        self._seq += 1
        ctx.postback_id = f"pb_{self.ids.getrandbits(96):024x}"
        body = template.body
        if body is not None:
            body_bytes: bytes | None = body.render(ctx, drop_empty=template.drop_empty)
            headers = template.render_headers(ctx)
        else:
            body_bytes = None
            headers = template.render_headers(ctx) if template.headers else ()
        summary = self.summary
        summary.postbacks += 1
        network = ctx.network.name
        summary.by_network[network] = summary.by_network.get(network, 0) + 1
        event = ctx.event
        install = ctx.install
        assert install.touch is not None and ctx.campaign is not None
        return _postback(
            self._seq, ctx.postback_id, ctx.kind, network, ctx.campaign.name, template.method,
            url, headers, body_bytes, moment, install.install_id, install.touch.touch_id,
            event.event_id if event is not None else None,
            event.name if event is not None else None,
        )


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
                count += _write_lines(out, lines)
    finally:
        count += _write_lines(out, lines)
    return count


_LINES_PER_WRITE = 256


def _write_lines(out: IO[str], lines: list[str]) -> int:
    if lines:
        out.write("\n".join(lines) + "\n")
    written = len(lines)
    lines.clear()
    return written


def write_run_ndjson(
    scenario: Scenario, out: IO[str], seed: int | None = None, *, jobs: int = 1
) -> RunSummary:
    """``write_ndjson(render_run(scenario, seed), out)`` using up to ``jobs`` processes.

    The output is byte for byte the same for any ``jobs``: each job generates and renders
    some campaigns' streams (each has its own random stream) without seq and postback id,
    and this process merges the jobs' lines back into ``journeys`` order, numbering them and
    drawing the ids from the run's one id stream. Runs in one process when there is only
    one stream, no ``fork`` start method, or a template uses ``{postback_id}``.
    """
    run_seed = scenario.seed if seed is None else seed
    shards = _shards(scenario, jobs)
    if len(shards) < 2 or _uses_postback_id(scenario):
        renderer = Renderer(scenario, run_seed)
        write_ndjson(render_run(scenario, run_seed, renderer=renderer), out)
        return renderer.summary
    context = multiprocessing.get_context("fork")
    receivers, workers = [], []
    for streams in shards:
        receiver, sender = context.Pipe(duplex=False)
        worker = context.Process(target=_render_job, args=(scenario, run_seed, streams, sender),
                                 daemon=True)
        worker.start()
        sender.close()
        receivers.append(receiver)
        workers.append(worker)
    try:
        return _merge_jobs(receivers, out, run_seed)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
            worker.join()


def _shards(scenario: Scenario, jobs: int) -> list[list[int]]:
    """Stream indexes (as ``TrafficGenerator.streams`` orders them) per job, by volume."""
    if jobs < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return []
    campaigns = [c for n in scenario.networks for c in n.campaigns]
    volumes = [c.clicks * c.install_rate for c in campaigns]
    volumes += [c.impressions * c.view_install_rate for c in campaigns if c.impressions > 0]
    volumes.append(float(organic_installs(scenario)))
    loads = [0.0] * jobs
    shards: list[list[int]] = [[] for _ in range(jobs)]
    for stream in sorted(range(len(volumes)), key=lambda i: -volumes[i]):
        if volumes[stream] > 0:
            lightest = loads.index(min(loads))
            loads[lightest] += volumes[stream]
            shards[lightest].append(stream)
    return [sorted(streams) for streams in shards if streams]


def _uses_postback_id(scenario: Scenario) -> bool:
    """A postback id in a template can only be known where ids are drawn, in order."""
    templates = [t for n in scenario.networks for t in (n.install, n.event, *n.events.values())
                 if t is not None]
    return any(_mentions(part, "postback_id") for t in templates
               for part in (t.url.whole, *(h.compiled for _, h in t.headers),
                            t.body.compiled if t.body is not None else None))


def _mentions(compiled: Any, name: str) -> bool:
    if isinstance(compiled, Compiled):
        return any(isinstance(p, MacroRef) and p.name == name for p in compiled.parts)
    if isinstance(compiled, dict):
        return any(_mentions(item, name) for item in compiled.values())
    if isinstance(compiled, list | tuple):
        return any(_mentions(item, name) for item in compiled)
    return False


_BATCH = 512  # journeys per message from a job


def _render_job(scenario: Scenario, seed: int, streams: list[int], sender: Connection) -> None:
    """In a forked job: render ``streams`` and send (moment, stream, network, tails) items."""
    try:
        everything = TrafficGenerator(scenario, seed).streams(sent_only=True)
        tagged = [_tag(index, everything[index]) for index in streams]
        renderer = Renderer(scenario, seed)
        batch: list[tuple[float, int, str, tuple[str, ...]]] = []
        for moment, index, journey in heapq.merge(*tagged, key=itemgetter(0)):
            tails = tuple(pb._json_tail() for pb in renderer.render_journey(journey))
            if tails:
                batch.append((moment, index, scenario.networks[journey.install.touch.network]
                              .name if journey.install.touch else "", tails))
                if len(batch) == _BATCH:
                    sender.send(("batch", batch))
                    batch = []
        sender.send(("batch", batch))
        sender.send(("done", renderer.summary.to_dict()))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises
        sender.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        sender.close()


def _tag(index: int, stream: Iterator[tuple[float, Journey]]
         ) -> Iterator[tuple[float, int, Journey]]:
    for moment, journey in stream:
        yield moment, index, journey


def _merge_jobs(receivers: list[Connection], out: IO[str], seed: int) -> RunSummary:
    summary = RunSummary()
    ids = random.Random(f"{seed}:postback-ids")
    merged = heapq.merge(*(_received(r, summary) for r in receivers), key=itemgetter(0, 1))
    lines: list[str] = []
    by_network = summary.by_network
    seq = 0
    try:
        for _, _, network, tails in merged:
            for tail in tails:
                seq += 1
                lines.append(f'{{"seq":{seq},"id":"pb_{ids.getrandbits(96):024x}",{tail}')
            by_network[network] = by_network.get(network, 0) + len(tails)
            if len(lines) >= _LINES_PER_WRITE:
                _write_lines(out, lines)
    finally:
        _write_lines(out, lines)
    summary.postbacks = seq
    return summary


def _received(receiver: Connection, summary: RunSummary
              ) -> Iterator[tuple[float, int, str, tuple[str, ...]]]:
    """One job's items; its counts are added to ``summary`` when it is done."""
    while True:
        try:
            kind, payload = receiver.recv()
        except EOFError:
            raise SandboxError("a render job ended without finishing its streams") from None
        if kind == "error":
            raise SandboxError(f"a render job failed: {payload}")
        if kind == "done":
            summary.installs += payload["installs"]
            summary.organic += payload["organic"]
            summary.events += payload["events"]
            return
        yield from payload
