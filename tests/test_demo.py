"""``postback-sandbox demo``: the server starts, quickstart's postbacks arrive and its
expectations hold; Ctrl-C stops the demo and its server."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow


def demo(db: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
    return subprocess.Popen(
        [sys.executable, "-m", "sandbox", "demo", "--port", "0", "--db", str(db), *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


def test_demo_shows_traffic_and_its_expectations_hold(tmp_path: Path) -> None:
    process = demo(tmp_path / "demo.db", "--exit")
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert "PASS installs arrived" in output and "2 passed, 0 failed" in output
    url = re.search(r"inspector  (http://127\.0\.0\.1:\d+)/ui/", output)
    assert url is not None, output
    assert "postback-sandbox demo stopped." in output
    with pytest.raises(httpx.HTTPError):  # the server is gone with the demo
        httpx.get(f"{url.group(1)}/api/ping", timeout=2)


def test_ctrl_c_stops_the_demo_and_its_server(tmp_path: Path) -> None:
    process = demo(tmp_path / "demo.db")
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("Press Ctrl-C"):
            break
    text = "".join(lines)
    url = re.search(r"inspector  (http://127\.0\.0\.1:\d+)/ui/", text)
    assert url is not None, text
    deliveries = httpx.get(f"{url.group(1)}/api/deliveries?limit=1", timeout=5).json()
    assert deliveries["count"] == 1 and deliveries["deliveries"][0]["state"] == "delivered"
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=30)
    assert process.returncode == 0, rest
    assert "postback-sandbox demo stopped." in rest and "Traceback" not in rest
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{url.group(1)}/api/ping", timeout=2)


def port_is_closed(url: str, *, within: float) -> bool:
    host, port = url.removeprefix("http://").split(":")
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, int(port)), timeout=0.2).close()
        except OSError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_takes_the_demo_server_down_with_it(tmp_path: Path, sig: int) -> None:
    """Killed with SIGTERM (as a CI runner or `timeout` does) the demo stops its server too."""
    process = demo(tmp_path / "demo.db")
    assert process.stdout is not None
    text = ""
    for line in process.stdout:
        text += line
        if line.startswith("Press Ctrl-C"):
            break
    url = re.search(r"inspector  (http://127\.0\.0\.1:\d+)/ui/", text)
    assert url is not None, text
    process.send_signal(sig)
    try:
        assert port_is_closed(url.group(1), within=2), "the demo's server still answers"
        rest, _ = process.communicate(timeout=10)
    finally:
        process.kill()
    assert "postback-sandbox demo stopped." in rest and "Traceback" not in rest
