"""The bundled scenarios render what a real MMP sends: every capture their traffic makes on a
real sandbox lints clean, except in scenarios whose point is what lint flags."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from sandbox.remote.process import RunningServer, start_server
from sandbox.resources import scenarios_dir

pytestmark = pytest.mark.slow

BUNDLED = sorted(path.stem for path in scenarios_dir().glob("*.yaml"))
ABOUT_LINT = {"fraud"}  # empty and zeroed device ids on purpose: what lint is there to flag


@pytest.fixture(scope="module")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = start_server(tmp_path_factory.mktemp("lint") / "sandbox.db")
    yield server
    server.stop()


def newest_id(server: RunningServer) -> int:
    page = httpx.get(f"{server.url}/api/postbacks", params={"limit": "1"}).json()
    return int(page["postbacks"][0]["id"]) if page["postbacks"] else 0


def captures_after(server: RunningServer, first: int) -> list[dict]:
    found: list[dict] = []
    params = {"since_id": str(first), "limit": "500", "order": "asc"}
    for _ in range(100):  # 500 a page: far more pages than any bundled scenario fills
        page = httpx.get(f"{server.url}/api/postbacks", params=params).json()
        found += page["postbacks"]
        if page["next_cursor"] is None:
            return found
        params["cursor"] = str(page["next_cursor"])
    raise AssertionError("more captures than expected")


def test_every_bundled_scenario_is_checked() -> None:
    assert {"quickstart", *ABOUT_LINT} <= set(BUNDLED)


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_scenario_captures_lint_clean(sandbox_server: RunningServer, name: str
                                              ) -> None:
    first = newest_id(sandbox_server)
    env = {**os.environ, "EVERFLOW_TOKEN": os.environ.get("EVERFLOW_TOKEN", "everflow-test")}
    done = subprocess.run(
        [sys.executable, "-m", "sandbox", "run", name, "--server", sandbox_server.url,
         "--target-base", sandbox_server.url],
        capture_output=True, text=True, timeout=120, check=False, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    captures = captures_after(sandbox_server, first)
    assert captures, f"{name} made no captures"
    flagged = [(c["id"], c["path"], [w["message"] for w in c["lint"]])
               for c in captures if c["lint"]]
    if name in ABOUT_LINT:
        assert flagged, f"{name} is about lint, yet nothing was flagged"
    else:
        assert flagged == [], f"{len(flagged)} of {len(captures)} {name} captures: {flagged[:5]}"


def test_no_value_drops_a_zeroed_advertising_id() -> None:
    """``drop_empty`` leaves out the all-zero id (iOS without ATT consent), as Adjust leaves
    out a placeholder with no value; without it the id is sent as it is."""
    from sandbox.scenarios.journey import ZERO_UUID
    from tests.scenario_helpers import build, sample_context

    for drop in (True, False):
        scenario = build(networks=[{
            "name": "net", "drop_empty": drop,
            "postbacks": {"install": "http://127.0.0.1:1/pb/x?idfa={idfa}&gaid={gaid}"},
            "campaigns": [{"name": "c"}]}])
        ctx = sample_context(scenario, platform="ios")
        ctx.install.device.idfa = ZERO_UUID
        template = scenario.networks[0].install
        assert template is not None
        slow = template.url.render(ctx, drop_empty=drop)
        fast = template.url.renderer(drop_empty=drop)(ctx)
        assert slow == fast
        assert slow == ("http://127.0.0.1:1/pb/x" if drop
                        else f"http://127.0.0.1:1/pb/x?idfa={ZERO_UUID}&gaid=")
