"""`postback-sandbox serve`, `export` and `clear` as a user runs them: real processes."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from sandbox import __version__
from sandbox.remote.process import RunningServer, start_server

CLI = [sys.executable, "-m", "sandbox"]


def run_cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, result.stderr
    for needle in needles:
        assert needle in error_lines[0]


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0 and __version__ in result.stdout


def test_port_in_use_is_a_one_line_error(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--port", str(port), "--db", str(tmp_path / "x.db"))
    assert_one_line_error(result, "already in use", str(port))


def test_unwritable_database_is_a_one_line_error(tmp_path: Path):
    result = run_cli("serve", "--port", "0", "--db", str(tmp_path / "missing" / "dir" / "x.db"))
    assert_one_line_error(result, "cannot open database")


def test_bad_config_file_names_file_and_line(tmp_path: Path):
    config = tmp_path / "sandbox.yaml"
    config.write_text("channels:\n  net1:\n    answer:\n      status: 9000\n")
    result = run_cli("serve", "--port", "0", "--db", str(tmp_path / "x.db"),
                     "--config", str(config))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{config}:4" in result.stderr and "status" in result.stderr


def test_environment_variables_configure_serve(tmp_path: Path):
    db = tmp_path / "env.db"
    server = start_server(db, env={"SANDBOX_MAX_BODY": "10"})
    try:
        assert httpx.post(f"{server.url}/pb/e", content=b"x" * 11).status_code == 413
    finally:
        server.stop()


def test_config_file_sets_channel_answers(tmp_path: Path):
    config = tmp_path / "sandbox.yaml"
    config.write_text("channels:\n  flaky:\n    answer:\n      fail_first: 1\n")
    server = start_server(tmp_path / "c.db", args=["--config", str(config)])
    try:
        statuses = [httpx.get(f"{server.url}/pb/flaky").status_code for _ in range(2)]
        assert statuses == [503, 200]
    finally:
        server.stop()


def test_export_and_clear_on_the_database_and_through_the_server(server: RunningServer):
    httpx.get(f"{server.url}/pb/keep?click_id=k")
    httpx.get(f"{server.url}/pb/drop?click_id=d")
    by_db = run_cli("export", "--db", str(server.db), "--channel", "keep")
    assert by_db.returncode == 0
    assert [json.loads(line)["keys"]["click_id"] for line in by_db.stdout.splitlines()] == ["k"]
    cleared = run_cli("clear", "--server", server.url, "--channel", "drop")
    assert cleared.returncode == 0 and "deleted 1 postback" in cleared.stdout
    by_server = run_cli("export", "--server", server.url)
    channels = {json.loads(line)["channel"] for line in by_server.stdout.splitlines()}
    assert channels == {"keep"}
    assert run_cli("clear", "--db", str(server.db)).stdout.startswith("deleted 1 postback")


def test_export_of_a_missing_database_is_a_clear_error(tmp_path: Path):
    assert_one_line_error(run_cli("export", "--db", str(tmp_path / "nope.db")), "does not exist")


def test_an_unreachable_postgresql_database_is_a_clear_error(tmp_path: Path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there
    result = run_cli("serve", "--port", "0", "--db",
                     f"postgresql://sandbox:s3cret@127.0.0.1:{port}/x")
    assert_one_line_error(result, "cannot open database postgresql://sandbox:***@127.0.0.1")
    assert "s3cret" not in result.stderr


def test_unreachable_server_is_a_clear_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert_one_line_error(run_cli("clear", "--server", f"http://127.0.0.1:{port}"),
                          "cannot reach")


@pytest.mark.slow
def test_captures_flow_while_fifty_long_requests_are_held_open(server: RunningServer):
    httpx.put(f"{server.url}/api/channels/held", json={"answer": {"delay_ms": 4000}})
    held_done: list[float] = []

    def hold() -> None:
        start = time.monotonic()
        httpx.get(f"{server.url}/pb/held", timeout=30)
        held_done.append(time.monotonic() - start)

    holders = [threading.Thread(target=hold) for _ in range(50)]
    for thread in holders:
        thread.start()
    time.sleep(0.5)  # let them all be in flight
    with httpx.Client(timeout=10) as http:
        started = time.monotonic()
        statuses = [http.get(f"{server.url}/pb/fast?n={n}").status_code for n in range(100)]
        elapsed = time.monotonic() - started
    assert statuses == [200] * 100
    assert elapsed < 3.5, f"captures stalled behind held requests: {elapsed:.2f}s"
    for thread in holders:
        thread.join(30)
    assert len(held_done) == 50 and min(held_done) >= 3.9
