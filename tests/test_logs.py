"""Server log lines: one per capture, in the standard format."""

from __future__ import annotations

import time

import httpx

from sandbox.remote.process import RunningServer


def test_each_capture_writes_one_log_line(server: RunningServer):
    answer = httpx.get(f"{server.url}/pb/logline/x?click_id=1").json()
    expected = f" INFO sandbox.capture: capture {answer['id']} logline GET /pb/logline/x -> 200"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [line for line in server.log.read_text().splitlines() if expected in line]
        if lines:
            break
        time.sleep(0.1)
    assert len(lines) == 1
    assert lines[0].index(expected) == len("2026-01-01 00:00:00,000")
