"""The delivery engine against a real local server that fails on purpose, on a fake clock:
retry counts and the exact waits, Retry-After, timeouts, refused connections, the attempt log,
pacing and --target-base."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email.utils import format_datetime
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.clock import FakeClock
from sandbox.delivery.engine import NetworkDelivery
from sandbox.delivery.http import RequestError, target
from sandbox.delivery.plan import map_target
from sandbox.delivery.policy import Policy
from sandbox.store import Store
from tests.delivery_helpers import (
    Answer,
    ScriptedServer,
    closed_port_url,
    deliver,
    only_delivery,
    planned,
    postback,
)


@pytest.fixture(scope="module")
def plain() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    yield server
    server.close()


def statuses(store: Store, delivery_id: int) -> list[int | None]:
    return [attempt.status for attempt in store.deliveries.attempts(delivery_id)]


def test_failures_are_retried_on_the_exact_backoff_schedule(
    plain: ScriptedServer, store: Store, clock: FakeClock
) -> None:
    plain.answer(Answer(503), Answer(503), Answer(500), Answer(200))
    stats = deliver(store, clock, [planned(postback(f"{plain.url}/pb/x?a=1"))],
                    policy=Policy(attempts=5, base=1, max=60, jitter=0))
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert len(plain.seen) == 4
    row = only_delivery(store)
    assert (row["state"], row["attempts"], row["last_status"]) == ("delivered", 4, 200)
    assert statuses(store, row["id"]) == [503, 503, 500, 200]
    assert (stats.delivered, stats.retried, stats.attempts) == (1, 1, 4)


def test_attempts_run_out_and_the_delivery_fails(
    plain: ScriptedServer, store: Store, clock: FakeClock
) -> None:
    plain.answer(Answer(502))
    deliver(store, clock, [planned(postback(f"{plain.url}/pb/x"))],
            policy=Policy(attempts=3, base=0.5, jitter=0))
    assert clock.sleeps == [0.5, 1.0]
    row = only_delivery(store)
    assert (row["state"], row["attempts"]) == ("failed", 3)
    assert statuses(store, row["id"]) == [502, 502, 502]


def test_retry_after_in_seconds_is_honoured(
    plain: ScriptedServer, store: Store, clock: FakeClock
) -> None:
    plain.answer(Answer(503, {"Retry-After": "7"}), Answer(200))
    deliver(store, clock, [planned(postback(f"{plain.url}/pb/x"))],
            policy=Policy(base=1, jitter=0.5))
    assert clock.sleeps == [7.0]


def test_retry_after_as_an_http_date_is_honoured(
    plain: ScriptedServer, store: Store, clock: FakeClock
) -> None:
    when = format_datetime(clock.now() + timedelta(seconds=42), usegmt=True)
    plain.answer(Answer(429, {"Retry-After": when}), Answer(204))
    deliver(store, clock, [planned(postback(f"{plain.url}/pb/x"))])
    assert clock.sleeps == [42.0]
    assert only_delivery(store)["state"] == "delivered"


def test_429_is_retried_and_400_is_not(
    plain: ScriptedServer, store: Store, clock: FakeClock
) -> None:
    plain.answer(Answer(429), Answer(400))
    deliver(store, clock, [planned(postback(f"{plain.url}/pb/x"))],
            policy=Policy(attempts=5, base=1, jitter=0))
    row = only_delivery(store)
    assert statuses(store, row["id"]) == [429, 400]
    assert (row["state"], clock.sleeps) == ("failed", [1.0])


def test_jittered_waits_stay_within_their_bounds(
    plain: ScriptedServer, store: Store, clock: FakeClock
) -> None:
    plain.answer(Answer(500))
    policy = Policy(attempts=6, base=1, max=100, jitter=0.25)
    deliver(store, clock, [planned(postback(f"{plain.url}/pb/x"))], policy=policy)
    assert len(clock.sleeps) == 5
    for failed, wait in enumerate(clock.sleeps, start=1):
        low, high = policy.jitter_bounds(failed)
        assert low <= wait <= high
    assert clock.sleeps != [policy.nominal_wait(n) for n in range(1, 6)]


def test_a_slow_answer_times_out_and_is_retried(
    plain: ScriptedServer, store: Store, clock: FakeClock
) -> None:
    plain.answer(Answer(200, delay=1.0), Answer(200))
    deliver(store, clock, [planned(postback(f"{plain.url}/pb/slow"))], timeout=0.2,
            policy=Policy(attempts=2, base=3, jitter=0))
    attempts = store.deliveries.attempts(only_delivery(store)["id"])
    assert [a.status for a in attempts] == [None, 200]
    assert attempts[0].error == "timed out after 0.2s"
    assert clock.sleeps == [3.0]


def test_connection_refused_is_retried_then_fails(store: Store, clock: FakeClock) -> None:
    stats = deliver(store, clock, [planned(postback(f"{closed_port_url()}/pb/x"))],
                    policy=Policy(attempts=3, base=1, jitter=0))
    row = only_delivery(store)
    assert (row["state"], row["attempts"], row["last_error"]) == (
        "failed", 3, "connection refused")
    assert clock.sleeps == [1.0, 2.0]
    assert stats.errors == {"connect": 3}


def test_a_bad_url_fails_at_once(store: Store, clock: FakeClock) -> None:
    deliver(store, clock, [planned(postback("ftp://example.invalid/x"))])
    row = only_delivery(store)
    assert (row["state"], row["attempts"]) == ("failed", 1)
    assert "http:// or https://" in row["last_error"] and clock.sleeps == []


@pytest.mark.parametrize("header", [("X-Bad", "a\r\nInjected: 1"), ("Bad:Name", "v")])
def test_a_header_that_would_split_the_request_fails_at_once(
    plain: ScriptedServer, store: Store, clock: FakeClock, header: tuple[str, str]
) -> None:
    plain.answer(Answer(200))
    deliver(store, clock, [planned(postback(f"{plain.url}/pb/x", headers=(header,)))])
    row = only_delivery(store)
    assert (row["state"], row["attempts"]) == ("failed", 1)
    assert "cannot be sent" in row["last_error"] and plain.seen == []


def test_the_attempt_log_keeps_the_request_and_the_answer(
    plain: ScriptedServer, store: Store, clock: FakeClock
) -> None:
    plain.answer(Answer(201, {"X-Net": "yes"}, body="x" * 5000))
    item = postback(f"{plain.url}/pb/net/ev?click_id=c1&e=%C3%A9", method="POST",
                    body=b'{"revenue": 1.5}', headers=(("Content-Type", "application/json"),))
    deliver(store, clock, [planned(item)])
    seen = plain.seen[0]
    assert (seen.method, seen.path, seen.query, seen.body) == (
        "POST", "/pb/net/ev", "click_id=c1&e=%C3%A9", b'{"revenue": 1.5}')
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["user-agent"].startswith("postback-sandbox/")
    row = only_delivery(store)
    assert row["url"] == item.url and bytes(row["body"]) == item.body
    assert (row["postback_id"], row["click_id"]) == (item.postback_id, item.click_id)
    attempt = store.deliveries.attempts(row["id"])[0]
    assert attempt.status == 201 and len(attempt.response_snippet) == 1024
    assert ["X-Net", "yes"] in attempt.response_headers


def test_many_deliveries_share_connections_and_all_land(
    plain: ScriptedServer, store: Store, clock: FakeClock
) -> None:
    plain.answer(Answer(204))
    items = [planned(postback(f"{plain.url}/pb/x?n={n}", seq=n)) for n in range(1, 61)]
    stats = deliver(store, clock, items, concurrency=8)
    assert (stats.sent, stats.delivered, stats.failed) == (60, 60, 0)
    assert sorted(s.query for s in plain.seen) == sorted(f"n={n}" for n in range(1, 61))
    count = store.connection().execute("SELECT count(*) FROM attempts").fetchone()[0]
    assert count == 60


def test_paced_runs_follow_the_timeline_scaled_by_speed(
    plain: ScriptedServer, store: Store, clock: FakeClock
) -> None:
    plain.answer(Answer(200))
    start = 1767571200.0
    items = [planned(postback(f"{plain.url}/pb/x", seq=n, at=start + offset))
             for n, offset in enumerate([0, 60, 60, 3600], start=1)]
    deliver(store, clock, items, speed=60)
    assert clock.sleeps == pytest.approx([1.0, 59.0])  # 60 s -> 1 s, then 3540 s -> 59 s


def test_fast_runs_do_not_wait(plain: ScriptedServer, store: Store, clock: FakeClock) -> None:
    plain.answer(Answer(200))
    items = [planned(postback(f"{plain.url}/pb/x", seq=n, at=1767571200.0 + 86400 * n))
             for n in range(1, 4)]
    deliver(store, clock, items)
    assert clock.sleeps == [] and len(plain.seen) == 3


@pytest.mark.parametrize(
    "url,base,mapped",
    [
        ("http://127.0.0.1:8377/pb/x?a=1&b=2", "http://localhost:9000",
         "http://localhost:9000/pb/x?a=1&b=2"),
        ("https://net.example/postback?cid=1", "http://127.0.0.1:8377/",
         "http://127.0.0.1:8377/postback?cid=1"),
        ("http://127.0.0.1:8377/pb/x", "https://staging.example:8443/hooks",
         "https://staging.example:8443/hooks/pb/x"),
        ("http://h.example", "http://127.0.0.1:1", "http://127.0.0.1:1/"),
        ("http://h.example/a", None, "http://h.example/a"),
    ],
)
def test_target_base_keeps_path_and_query(url: str, base: str | None, mapped: str) -> None:
    assert map_target(url, base) == mapped


@given(st.text(max_size=80))
def test_any_url_text_is_a_target_or_refused_cleanly(text: str) -> None:
    try:
        address = target(text)
    except RequestError:
        return
    assert address.scheme in ("http", "https") and address.host


@given(st.from_regex(r"https?://[a-z0-9.]{1,20}(:[0-9]{1,5})?(/[a-z0-9/%._~-]{0,20})?"
                     r"(\?[a-z0-9=&%._~-]{0,20})?", fullmatch=True))
def test_target_agrees_with_urlsplit(url: str) -> None:
    parts = urlsplit(url)
    try:
        expected_port = parts.port
    except ValueError:
        return
    try:
        address = target(url)
    except RequestError:  # a host urlsplit takes but no request could go to ("a..b")
        return
    default_port = 443 if parts.scheme == "https" else 80
    port = default_port if expected_port is None else expected_port
    assert (address.host, address.port) == (parts.hostname, port)
    assert (address.raw_path, address.raw_query_string) == (parts.path or "/", parts.query)


def test_a_network_delivers_with_its_own_habits(
    plain: ScriptedServer, store: Store, clock: FakeClock
) -> None:
    """Branch's habit: answers are final (a 500 is not retried), a timeout is retried, and the
    network's own timeout applies; the run's policy stays for the other networks."""
    branch = NetworkDelivery(Policy(attempts=3, statuses=False, base=2, jitter=0), 0.2)
    plain.answer(Answer(500))
    deliver(store, clock, [planned(postback(f"{plain.url}/pb/br"))], timeout=5.0,
            per_network={"net": branch})
    assert statuses(store, only_delivery(store)["id"]) == [500] and clock.sleeps == []
    plain.answer(Answer(200, delay=1.0), Answer(200))
    deliver(store, clock, [planned(postback(f"{plain.url}/pb/br2", seq=2))], timeout=5.0,
            per_network={"net": branch})
    attempts = store.deliveries.attempts(store.deliveries.last_id())
    assert [a.status for a in attempts] == [None, 200]
    assert attempts[0].error == "timed out after 0.2s" and clock.sleeps == [2.0]


def test_a_retry_schedule_is_followed_wait_by_wait(
    plain: ScriptedServer, store: Store, clock: FakeClock
) -> None:
    """Singular's habit: on a 5xx, retries after 1, 5, 15, 30 and 60 minutes."""
    singular = NetworkDelivery(Policy(attempts=6, jitter=0,
                                      schedule=(60.0, 300.0, 900.0, 1800.0, 3600.0)), 5.0)
    plain.answer(Answer(503))
    deliver(store, clock, [planned(postback(f"{plain.url}/pb/sg"))],
            per_network={"net": singular})
    assert clock.sleeps == [60.0, 300.0, 900.0, 1800.0, 3600.0]
    assert statuses(store, only_delivery(store)["id"]) == [503] * 6
