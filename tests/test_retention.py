"""Optional retention: prune the oldest captures past a count or an age, and count them."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from werkzeug.test import Client

from sandbox.clock import FakeClock
from sandbox.settings import load_settings
from sandbox.store import Store
from sandbox.store.retention import Retention, RetentionPolicy, prune, pruned_count
from sandbox.web.entry import build


def eventually(read: Callable[[], int], seconds: float = 5.0) -> int:
    """What ``read`` answers once it is not 0, or after ``seconds`` (real time: pruning runs
    beside the capture path, after the answer)."""
    deadline = time.monotonic() + seconds
    while not (value := read()) and time.monotonic() < deadline:
        time.sleep(0.01)
    return value


def capture_ids(client: Client) -> list[int]:
    return [p["id"] for p in client.get("/api/postbacks?order=asc&limit=500").json["postbacks"]]


def sandbox(serve, store: Store, clock: FakeClock, db_path: Path, **options) -> Client:
    return serve(build(load_settings({"db": str(db_path), **options}, environ={}),
                       clock=clock, store=store))


def test_default_keeps_everything(client: Client):
    for i in range(250):
        client.get(f"/pb/n?i={i}")
    assert client.get("/api/health").json["postbacks"] == 250
    assert client.get("/api/health").json["pruned"] == 0


def test_max_postbacks_keeps_the_newest(store: Store, clock: FakeClock):
    for i in range(30):
        store.connection().execute(
            "INSERT INTO captures (channel, method, path, query_string, query_json, headers_json,"
            " body, received_at, body_size, response_status) VALUES "
            "('c', 'GET', '/', '', '{}', '[]', ?, ?, 0, 200)", (b"", f"2026-01-01T00:00:{i:02}Z"))
    assert prune(store, RetentionPolicy(max_postbacks=10), clock) == 20
    assert store.captures.count() == 10
    assert store.captures.last_id() == 30 and pruned_count(store) == 20
    assert prune(store, RetentionPolicy(max_postbacks=10), clock) == 0


def test_pruning_runs_every_n_captures_not_on_every_request(
    serve, store: Store, clock: FakeClock, db_path: Path
):
    client = sandbox(serve, store, clock, db_path, max_postbacks=50)
    for i in range(200):
        client.get(f"/pb/n?i={i}")
    # a prune runs after capture 200 (200 -> 50), after its answer: wait for it, so the
    # captures below cannot race it
    assert eventually(lambda: client.get("/api/health").json["pruned"]) == 150
    for i in range(200, 240):
        client.get(f"/pb/n?i={i}")
    health = client.get("/api/health").json
    # the 40 since then are waiting for the next prune
    assert health == {**health, "postbacks": 90, "pruned": 150}
    assert capture_ids(client)[0] == 151


def test_max_age_drops_old_captures(serve, store: Store, clock: FakeClock, db_path: Path):
    client = sandbox(serve, store, clock, db_path, max_age="1h")
    for _ in range(5):
        client.get("/pb/old")
        clock.advance(10)
    assert client.get("/api/health").json["pruned"] == 0  # not due: 5 captures in 50 s
    clock.advance(7200)
    client.get("/pb/new")  # due by time (a minute since the last prune)
    assert eventually(lambda: client.get("/api/health").json["pruned"]) == 5  # after the answer
    client.get("/pb/new")
    assert [p["channel"] for p in client.get("/api/postbacks").json["postbacks"]] == [
        "new", "new"]


def test_retention_counter_is_lock_free_until_due(store: Store, clock: FakeClock):
    retention = Retention(store, RetentionPolicy(max_postbacks=1, every=3, interval=1e9), clock)
    assert [retention.note_capture() for _ in range(3)] == [0, 0, 0]  # empty table


@pytest.mark.parametrize("policy,enabled", [(RetentionPolicy(), False),
                                            (RetentionPolicy(max_postbacks=5), True),
                                            (RetentionPolicy(max_age_seconds=60), True)])
def test_policy_enabled(policy: RetentionPolicy, enabled: bool):
    assert policy.enabled is enabled


def test_server_start_prunes_by_age(tmp_path: Path):
    from sandbox.web.server import prepare
    db = tmp_path / "r.db"
    store = Store(db)
    store.connection().execute(
        "INSERT INTO captures (channel, method, path, query_string, query_json, headers_json,"
        " body, received_at, body_size, response_status) VALUES "
        "('c', 'GET', '/', '', '{}', '[]', x'', '2000-01-01T00:00:00.000000Z', 0, 200)")
    store.close()
    prepared = prepare(load_settings({"db": str(db), "max_age": "7d"}, environ={}))
    try:
        assert prepared.captures.count() == 0 and pruned_count(prepared) == 1
    finally:
        prepared.close()
