"""One server for every command (issue 16, item 2): `run`, `assert`, `skan-key`, `export` and
`clear` talk to the sandbox named by --server / SANDBOX_SERVER over its HTTP API, never to a
local database, and say which store each result came from. The README's CI recipe works with
the server started in another directory than the one the commands run from."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import httpx
import pytest
import yaml
from click.testing import CliRunner

from sandbox.cli import main
from sandbox.remote.process import RunningServer, start_server
from tests.delivery_helpers import small_scenario

pytestmark = pytest.mark.slow

EXPECTATIONS = {"expect": [{"name": "installs arrived", "channel": "quickstart",
                            "where": {"path": "/pb/quickstart/install"},
                            "count": {"gte": 20}, "within": 10}]}


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningServer]:
    """A server started in its own directory with `serve --db sandbox.db` (as the README's
    GitHub Actions job does); the test then works from another directory."""
    server_dir, work_dir = tmp_path / "server", tmp_path / "work"
    server_dir.mkdir()
    work_dir.mkdir()
    monkeypatch.chdir(server_dir)
    server = start_server(Path("sandbox.db"))
    monkeypatch.chdir(work_dir)
    monkeypatch.delenv("SANDBOX_SERVER", raising=False)
    monkeypatch.delenv("SANDBOX_DB", raising=False)
    yield server
    server.stop()


def cli(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env)


def test_the_readme_ci_job_works_from_another_directory(elsewhere: RunningServer) -> None:
    """The README's GitHub Actions steps, with `run --server ... --check` added."""
    url = elsewhere.url
    assert cli("wait", "--server", url, "--timeout", "30").exit_code == 0
    ran = cli("run", "quickstart", "--target-base", url, "--server", url, "--check",
              "--junit", "run.xml")
    assert ran.exit_code == 0, ran.output
    assert f"log: {url}/api/runs/" in ran.stdout
    assert f"expectations checked on {url}" in ran.stdout
    run_id = int(ran.stdout.split(f"log: {url}/api/runs/")[1].split()[0])
    logged = httpx.get(f"{url}/api/runs/{run_id}").json()  # the log line's run is there
    assert logged["state"] == "finished" and logged["summary"]["delivered"] == 55
    assert [e["ok"] for e in logged["expectations"]] == [True, True]
    assert ET.parse("run.xml").getroot().get("failures") == "0"
    Path("expectations.yaml").write_text(yaml.safe_dump(EXPECTATIONS), encoding="utf-8")
    checked = cli("assert", "--file", "expectations.yaml", "--server", url,
                  "--junit", "postbacks.xml")
    assert checked.exit_code == 0, checked.output
    assert f"checked on {url}" in checked.output
    assert not Path("postback-sandbox.db").exists()  # nothing was checked in a local file


def test_a_sandbox_target_base_is_the_server(elsewhere: RunningServer) -> None:
    """Without --server, a --target-base that is a sandbox is checked there, not in ./db."""
    url = elsewhere.url
    started = time.monotonic()
    ran = cli("run", "quickstart", "--target-base", url, "--check")
    assert ran.exit_code == 0, ran.output
    assert time.monotonic() - started < 20
    assert f"expectations checked on {url}" in ran.stdout
    assert f"server: {url}" in ran.stderr
    assert not Path("postback-sandbox.db").exists()


def test_sandbox_server_variable_and_a_given_db_is_named_unused(
    elsewhere: RunningServer,
) -> None:
    url = elsewhere.url
    ran = cli("run", "quickstart", "--target-base", url, "--check", "--db", "mine.db",
              env={"SANDBOX_SERVER": url})
    assert ran.exit_code == 0, ran.output
    assert f"--db mine.db is not used: the run is logged and checked on {url}" in ran.stderr
    assert not Path("mine.db").exists()


def test_a_failing_check_on_the_server_exits_1(elsewhere: RunningServer) -> None:
    url = elsewhere.url
    Path("s.json").write_text(json.dumps(small_scenario(
        f"{url}/pb/small/install", expect=[{"name": "never", "channel": "small", "count": 0}]
    )), encoding="utf-8")
    ran = cli("run", "s.json", "--server", url, "--check")
    assert ran.exit_code == 1, ran.output
    assert "FAIL never" in ran.stdout and f"expectations checked on {url}" in ran.stdout


def test_a_run_on_the_server_can_be_stopped(elsewhere: RunningServer) -> None:
    url = elsewhere.url
    scenario = small_scenario(f"{url}/pb/slow/install")
    started = httpx.post(f"{url}/api/runs", json={"scenario": scenario, "speed": 0.001})
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]
    assert started.headers["Location"] == f"/api/runs/{run_id}"
    stopped = httpx.post(f"{url}/api/runs/{run_id}/stop")
    assert stopped.status_code == 200 and stopped.json()["state"] == "interrupted"
    deadline = time.monotonic() + 5
    run = stopped.json()
    while run["finished_at"] is None or "sent" not in run["summary"]:
        assert time.monotonic() < deadline, run
        time.sleep(0.1)
        run = httpx.get(f"{url}/api/runs/{run_id}").json()
    assert run["state"] == "interrupted" and run["summary"]["sent"] <= 1


def test_a_bad_run_request_is_a_clear_400(elsewhere: RunningServer) -> None:
    url = elsewhere.url
    answer = httpx.post(f"{url}/api/runs", json={"scenario": {"name": "x"}, "sped": 2})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "bad_run_request"
    answer = httpx.post(f"{url}/api/runs", json={"scenario": {"name": "x"}})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_scenario"


def test_skan_key_export_and_clear_use_the_server(elsewhere: RunningServer) -> None:
    url = elsewhere.url
    httpx.get(f"{url}/pb/net1?click_id=c1")
    key = httpx.get(f"{url}/api/skan/public-key").json()["public_key"]
    shown = cli("skan-key", "show", "--server", url)
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.strip() == key and f"skan key on {url}" in shown.stderr
    exported = cli("export", "--channel", "net1", env={"SANDBOX_SERVER": url})
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.stdout.splitlines()[0])["query"] == {"click_id": ["c1"]}
    assert f"exported 1 postback on {url}" in exported.stderr
    cleared = cli("clear", "--server", url)
    assert cleared.exit_code == 0 and f"deleted 1 postback on {url}" in cleared.stdout
    server_db = Path.cwd().parent / "server" / "sandbox.db"  # the same store, as a file
    local = cli("clear", "--db", str(server_db))
    assert local.exit_code == 0 and f"deleted 0 postbacks in {server_db}" in local.stdout
    assert not Path("postback-sandbox.db").exists()
