"""``postback-sandbox run``: delivery to a real sandbox, expectations over captures and
deliveries, ``--check`` exit codes and ``--junit``."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import httpx
import pytest
import yaml
from click.testing import CliRunner

from sandbox.cli import main
from sandbox.remote.process import RunningServer
from sandbox.resources import bundled_scenario
from sandbox.store import Store
from tests.delivery_helpers import closed_port_url, small_scenario

pytestmark = pytest.mark.slow


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, server: RunningServer, *args: str):
    return runner.invoke(main, ["run", *args, "--target-base", server.url,
                                "--db", str(server.db)])


def write(tmp_path: Path, data: dict, name: str = "scenario.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def flaky_with(tmp_path: Path, expect: list[dict]) -> str:
    """The bundled flaky-endpoint scenario with extra expectations (as JSON)."""
    data = yaml.safe_load(bundled_scenario("flaky-endpoint").read_text(encoding="utf-8"))
    data["expect"] = [*data.get("expect", []), *expect]
    data["start"] = str(data["start"])
    return write(tmp_path, data)


def test_flaky_endpoint_passes_its_own_expectations(
    runner: CliRunner, server: RunningServer, tmp_path: Path
) -> None:
    junit = tmp_path / "junit.xml"
    result = invoke(runner, server, "flaky-endpoint", "--check", "--junit", str(junit))
    assert result.exit_code == 0, result.output
    assert "PASS every install lands despite the failures" in result.stdout
    assert "retried 3," in result.stdout and "failed 0" in result.stdout
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "1" and suite.get("failures") == "0"
    store = Store(server.db)
    try:
        run = store.connection().execute("SELECT * FROM runs ORDER BY id DESC").fetchone()
        assert (run["scenario"], run["state"]) == ("flaky-endpoint", "finished")
        assert json.loads(run["expectations_json"])[0]["ok"] is True
        states = store.deliveries.state_counts(run["id"])
        assert states == {"delivered": json.loads(run["summary_json"])["sent"]}
    finally:
        store.close()


def test_expectations_over_deliveries(
    runner: CliRunner, server: RunningServer, tmp_path: Path
) -> None:
    path = flaky_with(tmp_path, [
        {"name": "every install accepted within 5 attempts", "on": "deliveries",
         "where": {"kind": "install", "state": "delivered", "attempts": {"lte": 5},
                   "status": {"gte": 200, "lt": 300}}, "count": {"gte": 20}},
        {"name": "the failures were retried", "on": "deliveries",
         "where": {"attempts": {"gt": 1}}, "count": {"gte": 1}},
        {"name": "nothing failed", "on": "deliveries", "where": {"state": "failed"},
         "count": 0},
    ])
    junit = tmp_path / "junit.xml"
    result = invoke(runner, server, path, "--check", "--junit", str(junit))
    assert result.exit_code == 0, result.output
    assert "4 passed, 0 failed" in result.stdout
    names = [case.get("name") for case in ET.parse(junit).getroot().iter("testcase")]
    assert names[1:] == ["every install accepted within 5 attempts",
                         "the failures were retried", "nothing failed"]


def test_a_failing_expectation_exits_1_and_fails_its_junit_case(
    runner: CliRunner, server: RunningServer, tmp_path: Path
) -> None:
    path = write(tmp_path, small_scenario(
        "http://127.0.0.1:8377/pb/small/install?click_id={click_id}",
        expect=[{"name": "arrived", "channel": "small", "count": {"gte": 1}},
                {"name": "never retried", "on": "deliveries", "where": {"attempts": {"gt": 1}},
                 "count": {"gte": 1}}]))
    junit = tmp_path / "junit.xml"
    result = invoke(runner, server, path, "--check", "--junit", str(junit))
    assert result.exit_code == 1, result.output
    assert "PASS arrived" in result.stdout and "FAIL never retried" in result.stdout
    cases = list(ET.parse(junit).getroot().iter("testcase"))
    assert [c.find("failure") is not None for c in cases] == [False, True]


def test_without_check_expectations_are_not_judged(
    runner: CliRunner, server: RunningServer, tmp_path: Path
) -> None:
    path = write(tmp_path, small_scenario(
        "http://127.0.0.1:8377/pb/small/install", expect=[{"channel": "small", "count": 0}]))
    result = invoke(runner, server, path)
    assert result.exit_code == 0, result.output
    assert "1 expectation(s) not checked (use --check)" in result.stdout
    assert "\x1b[" not in result.output  # no progress bar when stdout is not a terminal


def test_capture_expectations_only_see_this_run(
    runner: CliRunner, server: RunningServer
) -> None:
    for _ in range(2):  # the same click ids twice: "unique" must still hold per run
        result = invoke(runner, server, "quickstart", "--check")
        assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "args,message",
    [
        (["--speed", "0"], "speed: expected a factor above 0"),
        (["--target-base", "ftp://x"], "target-base 'ftp://x'"),
        (["--concurrency", "0"], "Invalid value for '--concurrency'"),
        (["--out", "x.ndjson"], "--out goes with --dry-run"),
    ],
)
def test_usage_errors_exit_2(runner: CliRunner, tmp_path: Path, args: list[str],
                             message: str) -> None:
    result = runner.invoke(main, ["run", "quickstart", "--db", str(tmp_path / "x.db"), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_a_bad_expectation_stops_the_run_before_sending(
    runner: CliRunner, tmp_path: Path
) -> None:
    url = closed_port_url()
    path = write(tmp_path, small_scenario(f"{url}/pb/x", expect=[
        {"on": "deliveries", "where": {"colour": "red"}}]))
    db = tmp_path / "x.db"
    result = runner.invoke(main, ["run", path, "--db", str(db), "--check"])
    assert result.exit_code == 2, result.output
    assert f"{path}:1: expect[0].where.colour: " in result.stderr
    store = Store(db)
    assert store.connection().execute("SELECT count(*) FROM runs").fetchone()[0] == 0
    store.close()


def test_a_missing_signing_secret_is_a_clear_error(runner: CliRunner, tmp_path: Path) -> None:
    data = small_scenario(f"{closed_port_url()}/pb/x")
    data["networks"][0]["signing"] = {"kind": "standard_webhooks",
                                      "secret": {"env": "SANDBOX_TEST_NO_SUCH_SECRET"}}
    result = runner.invoke(main, ["run", write(tmp_path, data), "--db",
                                  str(tmp_path / "x.db")])
    assert result.exit_code == 2, result.output
    assert "networks[0].signing.secret" in result.stderr
    assert "SANDBOX_TEST_NO_SUCH_SECRET" in result.stderr


def test_nothing_delivered_says_so_and_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    data = small_scenario(f"{closed_port_url()}/pb/x")
    data["delivery"] = {"retry": {"attempts": 1}}
    junit = tmp_path / "junit.xml"
    result = runner.invoke(main, ["run", write(tmp_path, data), "--db", str(tmp_path / "x.db"),
                                  "--junit", str(junit)])
    assert result.exit_code == 1, result.output
    assert "delivered 0" in result.stdout and "nothing answered" in result.stdout
    assert "FAIL delivery: " in result.stdout and "did not end delivered" in result.stdout
    case = ET.parse(junit).getroot().find("testsuite/testcase")
    assert case is not None and case.get("name") == "every postback delivered"
    assert case.find("failure") is not None


def test_a_scenario_that_allows_failed_deliveries_exits_0(
    runner: CliRunner, tmp_path: Path
) -> None:
    data = small_scenario(f"{closed_port_url()}/pb/x")
    data["delivery"] = {"retry": {"attempts": 1}, "allow_failed": True}
    result = runner.invoke(main, ["run", write(tmp_path, data), "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 0, result.output
    assert "delivered 0" in result.stdout and "FAIL delivery" not in result.stdout


def test_some_deliveries_failing_exits_1(
    runner: CliRunner, server: RunningServer, tmp_path: Path
) -> None:
    """The receiver refuses every postback (a final 4xx): the run must not pass."""
    data = small_scenario("http://127.0.0.1:8377/pb/refusing/install",
                          channels={"refusing": {"status": 403}})
    result = invoke(runner, server, write(tmp_path, data))
    assert result.exit_code == 1, result.output
    assert "FAIL delivery: " in result.stdout


def test_check_with_nothing_to_check_exits_2_unless_allowed(
    runner: CliRunner, server: RunningServer, tmp_path: Path
) -> None:
    path = write(tmp_path, small_scenario("http://127.0.0.1:8377/pb/small/install"))
    refused = invoke(runner, server, path, "--check")
    assert refused.exit_code == 2, refused.output
    assert "has no expectations (expect:) to check" in refused.stderr
    assert "--allow-empty-check" in refused.stderr and "sent" not in refused.stdout
    allowed = invoke(runner, server, path, "--check", "--allow-empty-check")
    assert allowed.exit_code == 0, allowed.output


def test_the_runs_page_shows_none_for_a_run_without_expectations(
    runner: CliRunner, server: RunningServer, tmp_path: Path
) -> None:
    path = write(tmp_path, small_scenario("http://127.0.0.1:8377/pb/small/install"))
    result = invoke(runner, server, path, "--check", "--allow-empty-check", "--junit",
                    str(tmp_path / "j.xml"))
    assert result.exit_code == 0, result.output
    store = Store(server.db)
    try:  # a run checked with zero expectations, as older versions recorded it
        run_id = store.connection().execute("SELECT max(id) FROM runs").fetchone()[0]
        store.runs.set_expectations(run_id, [])
    finally:
        store.close()
    page = httpx.get(f"{server.url}/ui/runs").text
    assert "0/0 pass" not in page
    assert "checked no expectations" in httpx.get(f"{server.url}/ui/runs/{run_id}").text


def test_command_summaries_are_whole_sentences(runner: CliRunner) -> None:
    for args in ([], ["skan-key"]):
        text = runner.invoke(main, [*args, "--help"], terminal_width=80).output
        commands = text.split("Commands:")[1]
        assert "..." not in commands, commands
        assert "deliver its postbacks." in " ".join(commands.split()) or args


def test_install_deliveries_record_click_to_install_time(
    runner: CliRunner, server: RunningServer
) -> None:
    assert invoke(runner, server, "quickstart").exit_code == 0
    store = Store(server.db)
    try:
        rows = store.connection().execute(
            "SELECT kind, ctit_seconds FROM deliveries WHERE run_id = "
            "(SELECT max(id) FROM runs)").fetchall()
    finally:
        store.close()
    installs = [r["ctit_seconds"] for r in rows if r["kind"] == "install"]
    assert installs and all(seconds is not None and seconds >= 0 for seconds in installs)
    assert all(r["ctit_seconds"] is None for r in rows if r["kind"] == "event")
