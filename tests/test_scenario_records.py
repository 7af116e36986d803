"""Scenario runs record their clicks, installs and events like the live loop (one MMP engine),
so ``/api/reconcile`` and ``/api/timeline/<click_id>`` work for generated traffic; dry runs
record nothing."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sandbox.clock import SystemClock
from sandbox.delivery.run import RunOptions, ScenarioRun
from sandbox.remote.process import RunningServer, start_server
from sandbox.resources import bundled_scenario
from sandbox.scenarios.load import load_scenario
from sandbox.store import Store

pytestmark = pytest.mark.slow


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[RunningServer]:
    server = start_server(tmp_path / "sandbox.db")
    yield server
    server.stop()


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sandbox", "run", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def captures(server: RunningServer, **params: str) -> list[dict]:
    body = httpx.get(f"{server.url}/api/postbacks",
                     params={"channel": "quickstart", "limit": "500", **params}).json()
    return body["postbacks"]


def test_a_quickstart_run_on_the_server_reconciles(fresh: RunningServer) -> None:
    done = run_cli("quickstart", "--server", fresh.url, "--target-base", fresh.url)
    assert done.returncode == 0, done.stdout + done.stderr
    answer = httpx.get(f"{fresh.url}/api/reconcile", params={"channel": "quickstart"})
    body = answer.json()
    assert answer.status_code == 200, body
    assert body["checked"]["captures"] == 55 and body["unknown"]["count"] == 0
    # a user who bought twice sent two purchases: not a duplicate
    purchases = [c["keys"]["click_id"] for c in captures(fresh)
                 if c["keys"]["event_name"] == "af_purchase"]
    assert len(purchases) > len(set(purchases))


def test_the_timeline_of_a_generated_click(fresh: RunningServer) -> None:
    """The local path: this process delivers and records in the server's database."""
    store = Store(fresh.db)
    try:
        scenario = load_scenario(bundled_scenario("quickstart"))
        outcome = ScenarioRun(store, scenario, RunOptions(target_base=fresh.url),
                              clock=SystemClock()).deliver()
        assert outcome.stats.delivered == 55
    finally:
        store.close()
    [purchase, *_] = [c for c in captures(fresh) if c["keys"]["event_name"] == "af_purchase"]
    timeline = httpx.get(f"{fresh.url}/api/timeline/{purchase['keys']['click_id']}").json()
    kinds = [entry["kind"] for entry in timeline["entries"]]
    assert kinds[:3] == ["click", "install", "event"] and "capture" in kinds
    assert {"attempt", "capture"} <= set(kinds)
    summary = timeline["summary"]
    assert summary["installs"] == 1 and summary["events"] >= 1
    assert summary["captures"] == summary["deliveries"] == summary["events"] + 1
    install = timeline["entries"][1]["install"]
    assert install["source"] == "scenario" and install["network"] == "fakenet"
    assert timeline["click"]["campaign"] == "launch_us"


def test_a_run_again_with_its_seed_keeps_its_records(fresh: RunningServer) -> None:
    for _ in range(2):
        done = run_cli("quickstart", "--server", fresh.url, "--target-base", fresh.url)
        assert done.returncode == 0, done.stdout + done.stderr
    store = Store(fresh.db)
    try:
        assert store.clicks.count() == 36
        conn = store.connection()
        assert conn.execute("SELECT count(*) FROM installs").fetchone()[0] == 45
    finally:
        store.close()
    # the same postbacks twice on one channel: reconcile says so
    body = httpx.get(f"{fresh.url}/api/reconcile", params={"channel": "quickstart"}).json()
    assert body["duplicates"]["count"] == 55 and body["unknown"]["count"] == 0


def test_a_dry_run_records_nothing(tmp_path: Path) -> None:
    db = tmp_path / "dry.db"
    done = run_cli("quickstart", "--dry-run", "--db", str(db), "--out", str(tmp_path / "x"))
    assert done.returncode == 0, done.stderr
    store = Store(db)
    try:
        conn = store.connection()
        assert store.clicks.count() == 0
        assert conn.execute("SELECT count(*) FROM installs").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 0
    finally:
        store.close()
