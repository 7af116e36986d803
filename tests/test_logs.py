"""Server log lines: one per capture, in the standard format, written without a LogRecord."""

from __future__ import annotations

import logging
import time

import httpx
from hypothesis import given
from hypothesis import strategies as st

from sandbox.remote.process import RunningServer
from sandbox.web import logs


@given(st.floats(min_value=0, max_value=4_000_000_000, allow_nan=False))
def test_cached_time_text_matches_the_logging_module(created: float):
    record = logging.LogRecord("sandbox.capture", logging.INFO, __file__, 1, "m", (), None)
    record.created, record.msecs = created, int((created - int(created)) * 1000) + 0.0
    assert (logs.SecondsFormatter(logs.FORMAT).format(record)
            == logging.Formatter(logs.FORMAT).format(record))


def test_each_capture_writes_one_log_line(server: RunningServer):
    answer = httpx.get(f"{server.url}/pb/logline/x?click_id=1").json()
    expected = f" INFO sandbox.capture: capture {answer['id']} logline GET /pb/logline/x -> 200"
    deadline = time.monotonic() + 5  # lines are flushed at least twice a second
    while time.monotonic() < deadline:
        lines = [line for line in server.log.read_text().splitlines() if expected in line]
        if lines:
            break
        time.sleep(0.1)
    assert len(lines) == 1
    assert lines[0].index(expected) == len("2026-01-01 00:00:00,000")
