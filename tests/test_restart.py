"""A restart is clean: the port is free again at once, and no worker outlives its server."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from sandbox.remote.process import RunningServer, start_server


def _worker_pids(server: RunningServer, count: int = 2) -> list[int]:
    """The server's worker processes, from /proc, once all ``count`` have been forked."""
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    deadline = time.monotonic() + 10
    pids = children.read_text().split()
    while len(pids) < count and time.monotonic() < deadline:
        time.sleep(0.05)
        pids = children.read_text().split()
    return [int(pid) for pid in pids]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has ended; only its exit status is left


def _wait_gone(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.05)
    return [pid for pid in pids if _alive(pid)]


def _idle_keep_alive_clients(url: str, count: int) -> list[socket.socket]:
    """Connections that made a request and stay open, as a pooling sender leaves them."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    clients = []
    for n in range(count):
        conn = socket.create_connection((host, int(port)), timeout=5)
        conn.sendall(f"GET /pb/restart?n={n} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert conn.recv(4096).startswith(b"HTTP/1.1 200")
        clients.append(conn)
    return clients


def test_workers_end_when_the_server_process_is_killed(tmp_path: Path):
    server = start_server(tmp_path / "orphans.db")
    workers = _worker_pids(server)
    assert len(workers) == 2
    try:
        os.kill(server.process.pid, signal.SIGKILL)  # the main process alone
        server.process.wait(5)
        assert _wait_gone(workers, 5) == []
    finally:
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        server.stop()


def _restart_on_the_same_port(tmp_path: Path, stop: Callable[[RunningServer], None]) -> None:
    db = tmp_path / "restart.db"
    first = start_server(db)
    port = first.url.rsplit(":", 1)[1]
    clients = _idle_keep_alive_clients(first.url, 5)
    try:
        stop(first)
        second = start_server(db, args=["--port", port])
        try:
            assert second.url == first.url
            answer = httpx.get(f"{second.url}/api/postbacks?channel=restart")
            assert answer.json()["count"] == 5
        finally:
            second.stop()
    finally:
        first.kill()
        for conn in clients:
            conn.close()


def test_same_port_serves_again_right_after_sigkill(tmp_path: Path):
    _restart_on_the_same_port(tmp_path, RunningServer.kill)


def test_same_port_serves_again_after_sigterm_with_idle_clients(tmp_path: Path):
    def terminate(server: RunningServer) -> None:
        assert server.stop(signal.SIGTERM) == 0

    _restart_on_the_same_port(tmp_path, terminate)


def test_stop_is_bounded_when_a_worker_does_not_answer_the_signal(tmp_path: Path):
    """A worker that misses SIGTERM (here: stopped, as one still starting up can miss it) is
    killed after a second; the server still stops cleanly."""
    server = start_server(tmp_path / "stuck.db")
    workers = _worker_pids(server)
    os.kill(workers[0], signal.SIGSTOP)
    started = time.monotonic()
    assert server.stop(signal.SIGTERM, timeout=10) == 0
    assert time.monotonic() - started < 5
    assert _wait_gone(workers, 2) == []
