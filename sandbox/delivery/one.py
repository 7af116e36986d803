"""One planned postback delivered as a run of its own, and read back as the log holds it:
the request as sent (signed) and each attempt's answer. ``send`` and ``certify`` use it."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.clock import Clock
from sandbox.delivery.plan import Planned
from sandbox.delivery.run import RunOptions, ScenarioRun
from sandbox.scenarios.model import Scenario
from sandbox.store import Store
from sandbox.store.deliveries import DeliveryFilter
from sandbox.store.records import StoredAttempt, StoredDelivery


@dataclass(frozen=True)
class Sent:
    run_id: int
    delivery: StoredDelivery
    attempts: list[StoredAttempt]

    @property
    def delivered(self) -> bool:
        return self.delivery.state == "delivered"

    @property
    def last(self) -> StoredAttempt | None:
        return self.attempts[-1] if self.attempts else None


def deliver_one(store: Store, scenario: Scenario, item: Planned, *, seed: int,
                clock: Clock) -> Sent:
    """Deliver ``item`` with the scenario's retry policy and timeout, logged as one run."""
    run = ScenarioRun(store, scenario, RunOptions(seed=seed), clock=clock)
    outcome = run.deliver([item])
    delivery = store.deliveries.page(DeliveryFilter(run_id=outcome.run_id), limit=1,
                                     cursor=None, newest_first=False)[0]
    return Sent(outcome.run_id, delivery, store.deliveries.attempts(delivery.id))
