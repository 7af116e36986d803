"""``certify``: send the battery of ``certify_cases.py`` to a partner's endpoint, one case at a
time with a pause between, never more than a cap of requests; every request and answer is
logged as a delivery (each case a run of its own), and each case is judged.

Cases go through the delivery engine (signing, timeouts, retries as a run sends them), except
the slow request, which is written to a socket a few bytes at a time and logged the same way.
"""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sandbox.clock import Clock, iso_utc
from sandbox.delivery.certify_cases import (
    FAIL,
    PASS,
    SKIPPED,
    WARN,
    CaseResult,
    Exchange,
    Verdict,
    battery,
)
from sandbox.delivery.engine import delivery_record
from sandbox.delivery.log import DeliveryLog
from sandbox.delivery.one import deliver_one
from sandbox.delivery.plan import Planned, plan, signing_profiles
from sandbox.scenarios.one_shot import OneShot, one_postback
from sandbox.signing import sign
from sandbox.store import Store
from sandbox.store.deliveries import AttemptEvent, AttemptRecord
from sandbox.store.runs import NewRun

SLOW_SECONDS = 1.0  # how long the slow request takes to arrive
SLOW_PIECES = 10
SNIPPET = 4096


@dataclass
class Certification:
    target: str
    preset: str
    started_at: str
    results: list[CaseResult] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for result in self.results if result.verdict.outcome == outcome)

    @property
    def failed(self) -> bool:
        return self.count(FAIL) > 0

    def summary(self) -> str:
        return (f"{self.count(PASS)} passed, {self.count(WARN)} warned, {self.count(FAIL)} "
                f"failed, {self.count(SKIPPED)} skipped")


def certify(store: Store, base: OneShot, profile: dict[str, Any] | None, *, clock: Clock,
            pause: float, max_requests: int,
            on_case: Callable[[CaseResult], None] = lambda result: None) -> Certification:
    """Run the battery against ``base.to`` (its preset, seed and moment)."""
    done = Certification(base.to, base.preset, iso_utc(clock.now()))
    used = 0
    for case in battery(base, profile):
        result = CaseResult(case)
        done.results.append(result)
        needed = sum(shot.attempts for shot in case.shots)
        if case.skip is not None:
            result.verdict = Verdict(SKIPPED, case.skip, "")
        elif used + needed > max_requests:
            result.verdict = Verdict(SKIPPED, f"the cap of {max_requests} requests is reached "
                                     "(--max-requests)", "")
        else:
            for shot in case.shots:
                if used:
                    clock.sleep(pause)
                exchange = (_slowly if case.slow else _through_engine)(store, shot, clock)
                result.exchanges.append(exchange)
                used += exchange.attempts
            result.verdict = case.judge(result.exchanges, base.preset)
        on_case(result)
    return done


def _planned(shot: OneShot) -> tuple[Any, Planned]:
    scenario, postback = one_postback(shot)
    return scenario, next(plan([postback], signing_profiles(scenario, os.environ)))


def _through_engine(store: Store, shot: OneShot, clock: Clock) -> Exchange:
    scenario, item = _planned(shot)
    sent = deliver_one(store, scenario, item, seed=shot.seed, clock=clock)
    last = sent.last
    return Exchange(
        sent.delivery.method, sent.delivery.url, sent.delivery.body,
        None if last is None else last.status, None if last is None else last.latency_ms,
        None if last is None else last.error, len(sent.attempts),
        b"" if last is None else last.response_snippet, sent.run_id, sent.delivery.id)


def _slowly(store: Store, shot: OneShot, clock: Clock) -> Exchange:
    scenario, item = _planned(shot)
    started = clock.now()
    signed = sign(item.profile, item.request, message_id=item.postback.postback_id, at=started)
    status, latency, error, headers, answer = trickle(
        signed.method, signed.url, signed.headers, signed.body, timeout=shot.timeout,
        sleep=clock.sleep)
    run_id = store.runs.start(NewRun(
        scenario=scenario.name, source="certify: slow request", seed=shot.seed, mode="fast",
        speed=None, target_base=None, concurrency=1, started_at=iso_utc(started)))
    log = DeliveryLog(store, run_id=run_id)
    state = "delivered" if status is not None and 200 <= status < 300 else "failed"
    log.record(AttemptEvent(
        key=item.postback.postback_id, delivery=delivery_record(item, run_id),
        attempt=AttemptRecord(1, iso_utc(started), status, latency, error, headers, answer),
        state=state, url=signed.url, headers=signed.headers, updated_at=iso_utc(clock.now())))
    log.flush()
    store.runs.finish(run_id, state="finished", finished_at=iso_utc(clock.now()),
                      summary={"sent": 1, "delivered": int(state == "delivered"),
                               "failed": int(state == "failed"), "attempts": 1},
                      expectations=None)
    return Exchange(signed.method, signed.url, signed.body or None, status, latency, error, 1,
                    answer, run_id, None)


def trickle(method: str, url: str, headers: Any, body: bytes | None, *, timeout: float,
            sleep: Callable[[float], None]
            ) -> tuple[int | None, float, str | None, tuple[tuple[str, str], ...], bytes]:
    """Send one request over ``SLOW_SECONDS`` in ``SLOW_PIECES`` pieces; read the answer.
    (status or None, latency ms from the last byte sent, error, answer headers, body head)."""
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close",
             *(f"{name}: {value}" for name, value in headers)]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace") + (body or b"")
    piece = max(1, len(raw) // SLOW_PIECES + 1)
    try:
        sock = socket.create_connection((parts.hostname or "", port), timeout=timeout)
        if https:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname)
        with sock:
            for start in range(0, len(raw), piece):
                sock.sendall(raw[start:start + piece])
                sleep(SLOW_SECONDS / SLOW_PIECES)
            sent_at = time.monotonic()
            response = http.client.HTTPResponse(sock, method=method)
            response.begin()
            answer = response.read(SNIPPET)
            latency = (time.monotonic() - sent_at) * 1000
            return (response.status, latency, None,
                    tuple((k, v) for k, v in response.getheaders()), answer)
    except (OSError, http.client.HTTPException) as exc:
        return None, 0.0, f"{type(exc).__name__}: {exc}", (), b""
