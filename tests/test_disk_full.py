"""A full disk, for real: captures answer 503 `not_stored` and nothing acknowledged is lost,
/api/health says `degraded` and why, DELETE /api/postbacks still frees space, and then captures
are stored again and health is back to `ok`.

The disk is a small tmpfs mounted for the test, which needs root on Linux (as CI runs); the
test says why it skips anywhere else.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sandbox.remote.process import RunningServer, start_server
from sandbox.store.space import RESERVE_BYTES

pytestmark = pytest.mark.slow

DISK_BYTES = 3 * RESERVE_BYTES  # room for the reserve and a few dozen captures
BODY = b"x" * (256 * 1024)
MAX_CAPTURES = 4 * DISK_BYTES // len(BODY)  # the disk is full long before


def free_bytes(path: Path) -> int:
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("a real full disk needs a small tmpfs, and mounting one needs root on Linux")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs",
                           str(mount)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "--lazy", str(mount)], check=False)


@pytest.fixture
def full_server(small_disk: Path) -> Iterator[RunningServer]:
    server = start_server(small_disk / "sandbox.db")
    yield server
    server.stop()


def fill(http: httpx.Client) -> tuple[int, httpx.Response]:
    """Post captures until one is refused; answer how many were accepted, and the refusal."""
    for accepted in range(MAX_CAPTURES):
        answer = http.post("/pb/full", content=BODY)
        if answer.status_code != 200:
            return accepted, answer
    raise AssertionError(f"{MAX_CAPTURES} captures of {len(BODY)} bytes fit on the small disk")


def test_a_full_disk_is_reported_and_cleared_through_the_api(full_server, small_disk):
    with httpx.Client(base_url=full_server.url, timeout=30) as http:
        accepted, refused = fill(http)
        assert accepted > 0
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "not_stored"

        health = http.get("/api/health").json()
        assert health["status"] == "degraded"
        assert "database or disk is full" in health["reason"]
        assert health["postbacks"] == accepted  # every 2xx was stored

        before = free_bytes(small_disk)
        cleared = http.delete("/api/postbacks")
        assert cleared.status_code == 200, cleared.text
        assert cleared.json() == {"deleted": accepted}
        assert free_bytes(small_disk) > before

        stored = http.post("/pb/full", content=BODY)
        assert stored.status_code == 200, stored.text
        health = http.get("/api/health").json()
        assert (health["status"], health["postbacks"]) == ("ok", 1)
        assert "reason" not in health
