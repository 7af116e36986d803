"""Load: 50 concurrent senders for 30 s against a real server; zero errors, and every
acknowledged postback is recorded (recorded == acknowledged). Loopback only."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sandbox.remote.process import RunningServer, start_server

pytestmark = pytest.mark.slow

SENDERS = 50
SECONDS = float(os.environ.get("SANDBOX_LOAD_SECONDS", "30"))


@pytest.fixture
def load_server(tmp_path: Path) -> Iterator[RunningServer]:
    server = start_server(tmp_path / "load.db", args=["--log-level", "warning"])
    assert server.url.startswith("http://127.0.0.1:")
    yield server
    server.stop()


def test_fifty_senders_for_thirty_seconds(load_server: RunningServer):
    # Verification and lint run on every capture, as they would for a real integration.
    httpx.put(f"{load_server.url}/api/channels/load", json={
        "verification": {"kind": "query_token", "token": "load-token", "param": "token"}})
    acknowledged = [0] * SENDERS
    errors: list[str] = []
    deadline = time.monotonic() + SECONDS

    def sender(index: int) -> None:
        with httpx.Client(base_url=load_server.url, timeout=30) as client:
            n = 0
            while time.monotonic() < deadline:
                n += 1
                try:
                    answer = client.post(
                        f"/pb/load/install?token=load-token&click_id=s{index}-{n}"
                        "&event=install&currency=USD&revenue=1.99",
                        json={"sender": index, "n": n},
                    )
                except httpx.HTTPError as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                if answer.status_code == 200:
                    acknowledged[index] += 1
                else:
                    errors.append(f"{answer.status_code}: {answer.text[:200]}")

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    total = sum(acknowledged)
    health = httpx.get(f"{load_server.url}/api/health").json()
    assert health["postbacks"] == total
    for verdict in ("missing", "invalid", "none"):
        unverified = httpx.get(f"{load_server.url}/api/postbacks",
                               params={"verdict": verdict, "limit": 1}).json()
        assert unverified["count"] == 0, verdict
    assert total > SENDERS * SECONDS  # at least one per sender per second
    print(f"\n{total} postbacks acknowledged and recorded in {SECONDS:.0f} s "
          f"({total / SECONDS:.0f}/s)")
