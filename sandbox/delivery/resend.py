"""Re-send one logged delivery now: one more attempt, signed afresh, logged like the others.

The stored request is what the newest attempt sent; signing it again with the stored profile
replaces its token or signature (a Standard Webhooks signature gets this attempt's timestamp,
and the same ``webhook-id``). One attempt, no retries: a person pressed a button and waits.
"""

from __future__ import annotations

import json
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
from sandbox.store.records import Row

RESEND_TIMEOUT = 10.0


def _profile(row: Row, env: Mapping[str, str]) -> Profile:
    if not row["signing_json"]:
        return NoneProfile()
    try:
        return parse_profile(json.loads(row["signing_json"]), env=env, where="signing")
    except ConfigError as exc:
        raise SandboxError(f"delivery {row['id']} cannot be signed here: {exc.message}",
                           code="cannot_sign", status=409, field="signing") from None


def _record(row: Row) -> DeliveryRecord:
    # Only the id matters for an existing row; the rest is not written again.
    return DeliveryRecord(postback_id=row["postback_id"], kind=row["kind"],
                          network=row["network"], method=row["method"], url=row["url"],
                          headers=(), body=None)


def resend(
    store: Store, delivery_id: int, clock: Clock, *, env: Mapping[str, str] | None = None,
    timeout: float = RESEND_TIMEOUT,
) -> dict[str, Any]:
    """Send delivery ``delivery_id`` once more; answer its detail view with the new attempt."""
    row = store.deliveries.get(delivery_id)
    if row is None:
        raise NotFound(f"no delivery with id {delivery_id}", field="delivery_id")
    profile = _profile(row, os.environ if env is None else env)
    body = bytes(row["body"]) if row["body"] is not None else b""
    request = OutgoingRequest(row["method"], row["url"],
                              tuple(tuple(pair) for pair in json.loads(row["headers_json"])),
                              body)
    at = clock.now()
    signed = sign(profile, request, message_id=row["postback_id"], at=at)

    async def once() -> Any:
        sender = Sender(clock, concurrency=1, timeout=timeout)
        try:
            return await sender.send(signed)
        finally:
            await sender.close()

    sent = worker().run(once())
    number = int(row["attempts"]) + 1
    attempt = AttemptRecord(number, fast_iso(at), sent.status, sent.latency_ms, sent.error,
                            sent.headers, sent.snippet)
    log = DeliveryLog(store, run_id=row["run_id"])
    log.record(AttemptEvent(delivery_id, _record(row), attempt, state_after(sent, retry=False),
                            signed.url, signed.headers, fast_iso(clock.now()),
                            delivery_id=delivery_id))
    log.flush()
    updated = store.deliveries.get(delivery_id)
    assert updated is not None
    return delivery_detail(updated, store.deliveries.attempts(delivery_id))
