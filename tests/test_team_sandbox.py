"""Several sandbox nodes on one database behind nginx (Debian's package, the sample config in
deploy/): one truth whichever node a request reaches, and a killed node loses nothing it
acknowledged. On both backends: the nodes share a SQLite file (one host) or a PostgreSQL
database (as nodes on several hosts do)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from sandbox.remote.process import RunningServer, start_server
from tests.api_helpers import all_postbacks
from tests.nginx import free_port, start_nginx, team_config


@pytest.fixture
def team(any_db: str, tmp_path: Path) -> Iterator[tuple[str, list[RunningServer]]]:
    """Three nodes on one database, nginx in front; (nginx's URL, the nodes)."""
    # The last --db wins: the first (start_server's) only names each node's log file.
    node_args = ["--workers", "1", "--db", any_db]
    nodes = [start_server(tmp_path / f"node{n}.db", args=node_args) for n in range(3)]
    port = free_port()
    (tmp_path / "team-sandbox.conf").write_text(team_config([n.url for n in nodes], port))
    nginx = start_nginx(tmp_path, f"include {tmp_path}/team-sandbox.conf;", port)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url)
        yield url, nodes
    finally:
        nginx.kill()
        nginx.wait(10)
        for node in nodes:
            node.stop()


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/ping", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"nginx did not answer at {url}")


def _send(url: str, sender: int, count: int, retries: list[str]) -> list[int]:
    """Send ``count`` postbacks like a real sender: retry what was not acknowledged."""
    acknowledged = []
    with httpx.Client(timeout=10) as http:
        for n in range(count):
            for _ in range(20):
                try:
                    answer = http.post(f"{url}/pb/team?click_id=s{sender}-{n}", json={"n": n})
                except httpx.TransportError:
                    retries.append(f"s{sender}-{n}")
                    continue
                if answer.status_code == 200:
                    acknowledged.append(answer.json()["id"])
                    break
                retries.append(f"s{sender}-{n}")
                time.sleep(0.05)  # a 502 from nginx: the node it chose died
    return acknowledged


@pytest.mark.slow
def test_fifty_senders_lose_nothing_when_a_node_is_killed(team):
    url, nodes = team
    retries: list[str] = []  # click ids sent more than once
    killer = threading.Timer(0.5, nodes[1].kill)
    killer.start()
    with ThreadPoolExecutor(50) as pool:
        batches = list(pool.map(lambda s: _send(url, s, 60, retries), range(50)))
    assert not killer.is_alive() and nodes[1].process.poll() is not None  # killed meanwhile
    assert retries  # and felt: some sender saw a 502 and sent again
    acknowledged = {capture for batch in batches for capture in batch}
    assert len(acknowledged) == 50 * 60  # every postback was acknowledged once, in the end
    stored = {p["id"]: p["keys"]["click_id"] for p in all_postbacks(nodes[0].url, "team")}
    assert acknowledged <= set(stored)  # nothing acknowledged is lost
    assert len(set(stored.values())) == 50 * 60
    # A capture stored by the node as it died, never answered, is there too: only a postback
    # its sender had to send again may be stored twice.
    assert {stored[i] for i in set(stored) - acknowledged} <= set(retries)


def test_one_truth_whichever_node_a_request_reaches(team):
    url, (first, _, third) = team
    answer = httpx.put(f"{url}/api/channels/ff",
                       json={"answer": {"fail_first": 3, "fail_status": 503}})
    assert answer.status_code == 200, answer.text
    statuses = [httpx.get(f"{url}/pb/ff?n={n}").status_code for n in range(9)]
    assert statuses == [503] * 3 + [200] * 6  # counted once across the nodes

    with httpx.stream("GET", f"{first.url}/api/postbacks/stream",
                      params={"channel": "seen"}, timeout=10) as stream:
        lines = stream.iter_lines()
        assert next(lines) == "retry: 2000"  # the stream is open before the capture
        assert httpx.get(f"{third.url}/pb/seen?click_id=from-three").status_code == 200
        assert "from-three" in _next_postbacks_event(lines)

    held = httpx.post(f"{first.url}/api/assert", json={
        "channel": "seen", "where": {"query.click_id": "from-three"}, "count": 1})
    assert held.status_code == 200, held.text


def _next_postbacks_event(lines: Iterator[str]) -> str:
    for line in lines:
        if line.startswith("data: ") and '"rows"' in line:
            return json.dumps(json.loads(line[len("data: "):]))
    raise AssertionError("the stream ended without a postbacks event")
