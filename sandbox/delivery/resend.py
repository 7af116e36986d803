"""Re-send one logged delivery now: one more attempt, signed afresh, logged like the others.

The stored request is what the newest attempt sent; signing it again with the stored profile
replaces its token or signature (a Standard Webhooks signature gets this attempt's timestamp,
and the same ``webhook-id``). One attempt, no retries: a person pressed a button and waits.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from sandbox.clock import Clock
from sandbox.delivery.engine import fast_iso, state_after
from sandbox.delivery.log import DeliveryLog
from sandbox.delivery.sender import Sender
from sandbox.delivery.worker import worker
from sandbox.errors import ConfigError, NotFound, SandboxError
from sandbox.query.delivery_views import delivery_detail
from sandbox.signing import NoneProfile, OutgoingRequest, Profile, parse_profile, sign
from sandbox.store import Store
from sandbox.store.deliveries import AttemptEvent, AttemptRecord, DeliveryRecord
from sandbox.store.records import StoredDelivery

RESEND_TIMEOUT = 10.0


def _profile(delivery: StoredDelivery, env: Mapping[str, str]) -> Profile:
    if not delivery.signing:
        return NoneProfile()
    try:
        return parse_profile(delivery.signing, env=env, where="signing")
    except ConfigError as exc:
        raise SandboxError(f"delivery {delivery.id} cannot be signed here: {exc.message}",
                           code="cannot_sign", status=409, field="signing") from None


def _record(delivery: StoredDelivery) -> DeliveryRecord:
    # Only the id matters for an existing row; the rest is not written again.
    return DeliveryRecord(postback_id=delivery.postback_id, kind=delivery.kind,
                          network=delivery.network, method=delivery.method, url=delivery.url,
                          headers=(), body=None)


def resend(
    store: Store, delivery_id: int, clock: Clock, *, env: Mapping[str, str] | None = None,
    timeout: float = RESEND_TIMEOUT,
) -> dict[str, Any]:
    """Send delivery ``delivery_id`` once more; answer its detail view with the new attempt."""
    delivery = store.deliveries.get(delivery_id)
    if delivery is None:
        raise NotFound(f"no delivery with id {delivery_id}", field="delivery_id")
    profile = _profile(delivery, os.environ if env is None else env)
    headers = tuple((str(name), str(value)) for name, value in delivery.headers)
    request = OutgoingRequest(delivery.method, delivery.url, headers, delivery.body or b"")
    at = clock.now()
    signed = sign(profile, request, message_id=delivery.postback_id, at=at)

    async def once() -> Any:
        sender = Sender(clock, concurrency=1, timeout=timeout)
        try:
            return await sender.send(signed)
        finally:
            await sender.close()

    sent = worker().run(once())
    number = delivery.attempts + 1
    attempt = AttemptRecord(number, fast_iso(at), sent.status, sent.latency_ms, sent.error,
                            sent.headers, sent.snippet)
    log = DeliveryLog(store, run_id=delivery.run_id)
    log.record(AttemptEvent(delivery_id, _record(delivery), attempt, state_after(sent, retry=False),
                            signed.url, signed.headers, fast_iso(clock.now()),
                            delivery_id=delivery_id))
    log.flush()
    updated = store.deliveries.get(delivery_id)
    assert updated is not None
    return delivery_detail(updated, store.deliveries.attempts(delivery_id))
