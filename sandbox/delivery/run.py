"""One scenario run: checks first, then generate (and record) -> render -> plan -> chaos ->
pace -> deliver, logged as a run row that a running inspector can watch.

Everything that can be wrong with the input (signing secrets, target base, speed, the
expectations) is checked before the first postback goes out.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.capture.channels import parse_answer
from sandbox.clock import Clock, iso_utc
from sandbox.delivery.chaos import ChaosMonkey, is_active
from sandbox.delivery.engine import Engine, Stats, per_network
from sandbox.delivery.log import DeliveryLog
from sandbox.delivery.pacing import Pacer, check_speed
from sandbox.delivery.plan import Planned, check_target_base, plan, signing_profiles
from sandbox.delivery.policy import Policy
from sandbox.delivery.worker import worker
from sandbox.errors import SandboxError, ScenarioError
from sandbox.scenarios.generate import TrafficGenerator
from sandbox.scenarios.model import Scenario
from sandbox.scenarios.recorded import recorded
from sandbox.scenarios.render import Renderer
from sandbox.skan import skan_stream, with_skan
from sandbox.store import Store
from sandbox.store.runs import NewRun

STOP_POLL_SECONDS = 0.25


@dataclass(frozen=True)
class RunOptions:
    seed: int | None = None
    target_base: str | None = None
    speed: float | None = None
    concurrency: int | None = None
    timeout: float | None = None


@dataclass
class RunOutcome:
    run_id: int
    seed: int
    state: str  # finished | interrupted
    stats: Stats
    elapsed: float  # seconds on the run's clock
    captures_before: int  # the newest capture id before the run (scopes capture expectations)
    total: int | None = None


def apply_channels(store: Store, scenario: Scenario) -> list[str]:
    """Set the receiver answers of the scenario's ``channels:`` section in the shared database
    (a sandbox serving it applies them at once); a channel's verification and forward are kept."""
    for name, raw in scenario.channels.items():
        try:
            parse_answer(dict(raw))
        except SandboxError as exc:
            raise ScenarioError([f"{scenario.source}: channels.{name}: {exc.message}"]) from None
    for name, raw in scenario.channels.items():
        existing = store.channels.get(name)
        store.channels.put(name, dict(raw), existing["verification"] if existing else None,
                           existing["forward"] if existing else None)
    return list(scenario.channels)


class ScenarioRun:
    """Prepared (and checked) in ``__init__``; ``deliver`` sends."""

    def __init__(
        self, store: Store, scenario: Scenario, options: RunOptions, *, clock: Clock,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.store, self.scenario, self.options, self.clock = store, scenario, options, clock
        self.seed = scenario.seed if options.seed is None else options.seed
        self.pacer = Pacer(clock, check_speed(options.speed))
        self.target_base = check_target_base(options.target_base)
        self.profiles = signing_profiles(scenario, os.environ if env is None else env)
        delivery = scenario.delivery
        self.concurrency = options.concurrency or delivery.concurrency
        if not 1 <= self.concurrency <= 1024:
            raise SandboxError(f"concurrency: expected 1 to 1024, got {self.concurrency}",
                               code="bad_concurrency", field="concurrency")
        self.timeout = options.timeout or delivery.timeout
        self.policy = Policy.from_scenario(delivery.retry)
        self.skan = skan_stream(store, scenario, self.seed, clock=clock)  # None: no skan:
        self._run_id: int | None = None
        self._captures_before = 0

    def planned(self) -> Iterable[Planned]:
        """The run's deliveries, lazily; its clicks, installs and events are recorded as they
        are generated (``sandbox.scenarios.recorded``), like the live loop's."""
        renderer = Renderer(self.scenario, self.seed)
        journeys = recorded(self.store, self.scenario,
                            TrafficGenerator(self.scenario, self.seed).journeys(sent_only=True),
                            clock=self.clock)
        stream: Iterable[Planned] = itertools.chain(
            plan(renderer.render(journeys), self.profiles, target_base=self.target_base),
            # SKAN postbacks carry their own signature: no network signing profile
            plan(with_skan((), renderer, self.skan), {}, target_base=self.target_base))
        if is_active(self.scenario.chaos):
            stream = ChaosMonkey(self.scenario.chaos, self.seed).apply(stream)
        return self.pacer.order(stream)

    def start(self) -> int:
        """Apply the scenario's channels and open the run row (once); answer the run id, so a
        caller can point at the run before anything is sent."""
        if self._run_id is None:
            apply_channels(self.store, self.scenario)
            self._captures_before = self.store.captures.last_id()
            self._run_id = self.store.runs.start(NewRun(
                scenario=self.scenario.name, source=str(self.scenario.source or ""),
                seed=self.seed, mode=self.pacer.mode, speed=self.pacer.speed,
                target_base=self.target_base, concurrency=self.concurrency,
                started_at=iso_utc(self.clock.now()),
            ))
        return self._run_id

    def deliver(
        self, items: Iterable[Planned] | None = None, *,
        on_progress: Callable[[Stats], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> RunOutcome:
        """Send ``items`` (default: ``planned()``) and log the run. KeyboardInterrupt stops it
        with the run marked interrupted; so does ``stop()`` answering True (asked every
        ``STOP_POLL_SECONDS``; postbacks in flight are abandoned, their attempts logged)."""
        run_id = self.start()
        items = self.planned() if items is None else items
        total = len(items) if isinstance(items, list) else None
        log = DeliveryLog(self.store, run_id=run_id)
        engine = Engine(log, self.clock, policy=self.policy, concurrency=self.concurrency,
                        per_network=per_network(self.scenario.networks, self.policy,
                                                self.timeout),
                        timeout=self.timeout, seed=self.seed, on_progress=on_progress)
        started = self.clock.monotonic()
        state = "interrupted"
        try:
            stopped = worker().run(_until_stopped(engine.run(items, self.pacer), stop))
            state = "interrupted" if stopped else "finished"
        finally:
            log.flush()
            self.store.runs.finish(run_id, state=state, finished_at=iso_utc(self.clock.now()),
                                   summary=engine.stats.to_dict(), expectations=None)
        return RunOutcome(run_id, self.seed, state, engine.stats,
                          self.clock.monotonic() - started, self._captures_before, total)


async def _until_stopped(work: Coroutine[Any, Any, Any], stop: Callable[[], bool] | None
                         ) -> bool:
    """Await ``work``; cancel it once ``stop()`` says so. True when it was stopped."""
    task = asyncio.ensure_future(work)
    while stop is not None and not task.done():
        await asyncio.wait({task}, timeout=STOP_POLL_SECONDS)  # a poll cadence: no clock
        if not task.done() and stop():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            return True
    await task
    return False


def undelivered(summary: Mapping[str, Any], *, allow_failed: bool) -> str | None:
    """Why a run's deliveries fail it (None: they do not): a postback that did not end
    delivered, unless the scenario allows failed ones (``delivery.allow_failed``); a run that
    sent nothing fails too. ``summary`` is the run's summary (``Stats.to_dict()``)."""
    sent, delivered, failed = (int(summary.get(k, 0)) for k in ("sent", "delivered", "failed"))
    if sent == 0:
        return "no postback was sent"
    if delivered == sent or (allow_failed and delivered + failed == sent):
        return None
    hint = "" if allow_failed else " (a scenario that expects failures says delivery.allow_failed)"
    return f"{sent - delivered} of {sent} postbacks did not end delivered{hint}"
