"""The retry policy: which outcomes are retried, the backoff schedule, jitter, Retry-After."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.delivery.policy import RETRY_AFTER_CAP, Policy, parse_retry_after

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "policy,waits",
    [
        (Policy(base=1, max=10, jitter=0), [1, 2, 4, 8, 10, 10]),
        (Policy(base=0.2, max=2, jitter=0), [0.2, 0.4, 0.8, 1.6, 2, 2]),
        (Policy(backoff="fixed", base=5, max=60, jitter=0), [5, 5, 5, 5, 5, 5]),
        (Policy(backoff="fixed", base=90, max=60, jitter=0), [60] * 6),
    ],
)
def test_backoff_schedule(policy: Policy, waits: list[float]) -> None:
    rng = random.Random(0)
    assert [policy.wait(n, rng) for n in range(1, 7)] == pytest.approx(waits)


@given(
    jitter=st.floats(min_value=0, max_value=1),
    failed=st.integers(min_value=1, max_value=80),
    base=st.floats(min_value=0.001, max_value=100),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_jitter_stays_within_its_bounds(jitter: float, failed: int, base: float,
                                        seed: int) -> None:
    policy = Policy(base=base, max=600, jitter=jitter)
    low, high = policy.jitter_bounds(failed)
    wait = policy.wait(failed, random.Random(seed))
    assert low - 1e-9 <= wait <= high + 1e-9
    assert high <= policy.nominal_wait(failed) * 2 + 1e-9


def test_jitter_spreads_the_waits() -> None:
    policy = Policy(base=10, max=60, jitter=0.5)
    rng = random.Random(3)
    waits = [policy.wait(1, rng) for _ in range(200)]
    assert min(waits) < 7 and max(waits) > 13  # not just the nominal value


@pytest.mark.parametrize("status", [500, 502, 503, 504, 599, 429, 408])
def test_server_errors_and_throttling_are_retried(status: int) -> None:
    assert Policy().retries(status, None)


@pytest.mark.parametrize("status", [200, 204, 301, 400, 401, 403, 404, 410, 422])
def test_other_answers_are_final(status: int) -> None:
    assert not Policy().retries(status, None)


@pytest.mark.parametrize("kind", ["timeout", "connect", "protocol"])
def test_transport_failures_are_retried(kind: str) -> None:
    assert Policy().retries(None, kind)


def test_a_request_we_cannot_send_is_not_retried() -> None:
    assert not Policy().retries(None, "request")


def test_on_status_replaces_the_default_statuses() -> None:
    policy = Policy(on_status=frozenset({409, 503}))
    assert policy.retries(409, None) and policy.retries(503, None)
    assert not policy.retries(500, None) and not policy.retries(429, None)


@pytest.mark.parametrize(
    "value,seconds",
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        (format_datetime(NOW + timedelta(seconds=42), usegmt=True), 42.0),
        ("Thu, 01 Jan 2026 12:01:30 GMT", 90.0),
        (format_datetime(NOW - timedelta(hours=1), usegmt=True), 0.0),
        (None, None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
        ("Thu, 01 Jan 2026 12:01:30", None),  # a date without a zone is unusable
    ],
)
def test_retry_after_in_seconds_and_as_an_http_date(value: str | None,
                                                   seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


@given(st.text(max_size=60))
def test_retry_after_never_raises(value: str) -> None:
    result = parse_retry_after(value, NOW)
    assert result is None or result >= 0


def test_retry_after_replaces_the_backoff_and_is_capped() -> None:
    policy = Policy(base=1, jitter=0.5)
    rng = random.Random(1)
    assert policy.wait(1, rng, retry_after=30.0) == 30.0
    assert policy.wait(3, rng, retry_after=10 * RETRY_AFTER_CAP) == RETRY_AFTER_CAP


def test_answers_can_be_final_and_only_transport_failures_retried() -> None:
    policy = Policy(statuses=False)
    assert not policy.retries(500, None) and not policy.retries(429, None)
    assert policy.retries(None, "timeout") and policy.retries(None, "connect")


def test_an_explicit_schedule_replaces_the_backoff_and_its_last_wait_repeats() -> None:
    policy = Policy(schedule=(60.0, 300.0, 900.0), jitter=0, base=1, max=2)
    assert [policy.wait(n, random.Random(0)) for n in range(1, 6)] == [60, 300, 900, 900, 900]
