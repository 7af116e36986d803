"""Nothing acknowledged is ever lost: concurrency, restarts and SIGKILL of the whole server."""

from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from sandbox.remote.process import RunningServer, start_server
from tests.api_helpers import all_postbacks


def _send_many(url: str, sender: int, count: int) -> list[int]:
    ids = []
    with httpx.Client(timeout=30) as http:
        for n in range(count):
            answer = http.post(f"{url}/pb/load?click_id=s{sender}-{n}", json={"n": n})
            assert answer.status_code == 200
            ids.append(answer.json()["id"])
    return ids


def test_concurrent_senders_lose_nothing(server: RunningServer):
    with ThreadPoolExecutor(16) as pool:
        batches = list(pool.map(lambda s: _send_many(server.url, s, 25), range(16)))
    acknowledged = {i for batch in batches for i in batch}
    assert len(acknowledged) == 16 * 25
    stored = {p["id"] for p in all_postbacks(server.url, "load")}
    assert stored == acknowledged


def test_restart_keeps_everything(tmp_path: Path):
    db = tmp_path / "restart.db"
    first = start_server(db)
    try:
        ids = _send_many(first.url, 0, 20)
    finally:
        assert first.stop() == 0
    second = start_server(db)
    try:
        assert {p["id"] for p in all_postbacks(second.url, "load")} == set(ids)
    finally:
        second.stop()


@pytest.mark.slow
def test_sigkill_under_concurrent_load_loses_no_acknowledged_capture(tmp_path: Path):
    db = tmp_path / "kill.db"
    server = start_server(db)
    acknowledged: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()

    def sender(n: int) -> None:
        with httpx.Client(timeout=5) as http:
            count = 0
            while not stop.is_set() and count < 5000:
                count += 1
                try:
                    answer = http.get(f"{server.url}/pb/kill?click_id={n}-{count}")
                except httpx.HTTPError:
                    return  # the server is gone
                if answer.status_code == 200:
                    with lock:
                        acknowledged.append(answer.json()["id"])

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < 500 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()
    stop.set()
    for thread in threads:
        thread.join(10)
    assert len(acknowledged) >= 500
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {row[0] for row in conn.execute("SELECT id FROM captures")}
    missing = set(acknowledged) - stored
    assert not missing, f"{len(missing)} acknowledged captures lost"


def test_sigkill_while_the_deriver_is_behind_loses_nothing_and_derives_it_all(tmp_path: Path):
    db = tmp_path / "behind.db"
    # Its derivers wait an hour: every acknowledged capture stays raw until the kill.
    server = start_server(db, env={"SANDBOX_DERIVE_DELAY": "3600"})
    try:
        with ThreadPoolExecutor(8) as pool:
            batches = list(pool.map(lambda s: _send_many(server.url, s, 40), range(8)))
        with sqlite3.connect(db) as conn:
            raw = conn.execute("SELECT count(*) FROM captures WHERE derived = 0").fetchone()[0]
        assert raw == 8 * 40  # acknowledged, committed, none derived yet
    finally:
        server.kill()
    again = start_server(db)
    try:
        stored = {p["id"]: p for p in all_postbacks(again.url, "load")}
    finally:
        again.stop()
    acknowledged = {i for batch in batches for i in batch}
    assert set(stored) == acknowledged
    assert all(p["keys"]["click_id"] == p["query"]["click_id"][0] for p in stored.values())
    assert all(p["json"] is not None for p in stored.values())
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM captures WHERE derived = 0").fetchone()[0] == 0
