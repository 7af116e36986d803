"""A wheel built from the checkout installs into a fresh venv and serves its bundled files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from sandbox.remote.process import READY_PREFIX, wait_until_up

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_installs_and_serves_static_and_scenarios(tmp_path: Path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist),
                    str(ROOT)], check=True, timeout=300)
    wheel = next(dist.glob("postback_sandbox-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], check=True,
                   timeout=600)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    process = subprocess.Popen(
        [str(venv / "bin" / "postback-sandbox"), "serve", "--port", "0", "--db", "x.db"],
        cwd=elsewhere, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        while line and not line.startswith(READY_PREFIX):
            line = process.stdout.readline()
        url = line[len(READY_PREFIX):].strip()
        wait_until_up(url)
        favicon = httpx.get(f"{url}/static/favicon.svg")
        assert favicon.status_code == 200
        assert favicon.content == (ROOT / "static" / "favicon.svg").read_bytes()
        names = {s["name"] for s in httpx.get(f"{url}/api/scenarios").json()["scenarios"]}
        assert names == {p.stem for p in (ROOT / "scenarios").glob("*.yaml")}
        quickstart = httpx.get(f"{url}/api/scenarios/quickstart").text
        assert quickstart == (ROOT / "scenarios" / "quickstart.yaml").read_text()
        module = subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import sandbox; print(sandbox.__file__)"],
            cwd=elsewhere, capture_output=True, text=True, check=True,
        ).stdout
        assert str(venv) in module  # the installed copy, not the checkout
    finally:
        process.terminate()
        process.wait(20)
        if process.stdout:
            process.stdout.close()
