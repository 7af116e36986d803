"""`postback-sandbox assert` and `wait` as CI runs them, and the pytest plugin via pytester."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest

from sandbox.remote.process import RunningServer

CLI = [sys.executable, "-m", "sandbox"]
pytest_plugins = ["pytester"]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=60)


@pytest.fixture
def purchases(server: RunningServer) -> RunningServer:
    with httpx.Client() as http:
        http.post(f"{server.url}/pb/net1?event=af_purchase&click_id=a", json={"revenue": 4.99})
        http.post(f"{server.url}/pb/net1?event=af_purchase&click_id=b", json={"revenue": 0.5})
    return server


def test_assert_holds_exit_0(purchases: RunningServer):
    result = cli("assert", "--server", purchases.url, "--channel", "net1",
                 "--where", "query.event=af_purchase", "--where", "json.revenue>=0.99",
                 "--count", ">=1", "--unique", "query.click_id")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("PASS") and "1 passed, 0 failed" in result.stdout


def test_assert_fails_exit_1_with_near_misses(purchases: RunningServer):
    result = cli("assert", "--server", purchases.url, "--channel", "net1",
                 "--where", "json.revenue>=10")
    assert result.returncode == 1
    assert "FAIL" in result.stdout and "json.revenue: expected" in result.stdout


def test_assert_usage_errors_exit_2(purchases: RunningServer):
    bad_field = cli("assert", "--server", purchases.url, "--where", "nonsense=1")
    assert bad_field.returncode == 2 and "Traceback" not in bad_field.stderr
    assert "nonsense" in bad_field.stderr
    both = cli("assert", "--server", purchases.url, "--file", "x.yaml", "--channel", "a")
    assert both.returncode == 2


def test_assert_json_and_junit(purchases: RunningServer, tmp_path: Path):
    report = tmp_path / "report.xml"
    result = cli("assert", "--server", purchases.url, "--channel", "net1", "--count", "5",
                 "--json", "--junit", str(report))
    assert result.returncode == 1
    assert json.loads(result.stdout)["matched"] == 2
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "1" and suite.get("failures") == "1"
    assert suite.find("testcase/failure") is not None


def test_assert_file_with_expect_list(purchases: RunningServer, tmp_path: Path):
    expectations = tmp_path / "expectations.yaml"
    expectations.write_text(
        "expect:\n"
        "  - name: purchases arrived\n    channel: net1\n    count: 2\n"
        "  - name: no refunds\n    channel: net1\n    where: {query.event: refund}\n    count: 0\n"
    )
    result = cli("assert", "--server", purchases.url, "--file", str(expectations))
    assert result.returncode == 0, result.stdout
    assert "PASS purchases arrived" in result.stdout and "PASS no refunds" in result.stdout


def test_assert_file_errors_name_the_line(purchases: RunningServer, tmp_path: Path):
    expectations = tmp_path / "bad.yaml"
    expectations.write_text("expect:\n  - channel: net1\n    where: [unclosed\n")
    result = cli("assert", "--server", purchases.url, "--file", str(expectations))
    assert result.returncode == 2 and str(expectations) in result.stderr


def test_wait_returns_once_up_and_fails_on_timeout(server: RunningServer):
    assert cli("wait", "--server", server.url, "--timeout", "5").returncode == 0
    down = cli("wait", "--server", "http://127.0.0.1:9", "--timeout", "0.5")
    assert down.returncode == 1 and "no sandbox answered" in down.stderr


def test_pytest_plugin_fixture(pytester: pytest.Pytester, server: RunningServer):
    pytester.makepyfile(
        """
        import httpx

        def test_arrives(postback_sandbox):
            httpx.get(postback_sandbox.url("net9", event="install", click_id="z"))
            postback_sandbox.assert_received("net9", where={"query.event": "install"}, count=1,
                                             unique="query.click_id", within=5)
            assert [p["keys"]["click_id"] for p in postback_sandbox.postbacks("net9")] == ["z"]

        def test_scoped_per_test(postback_sandbox):
            assert postback_sandbox.postbacks("net9") == []

        def test_failure_shows_near_misses(postback_sandbox):
            httpx.get(postback_sandbox.url("net9", event="open"))
            postback_sandbox.assert_received("net9", where={"query.event": "install"})
        """
    )
    result = pytester.runpytest_subprocess(f"--postback-sandbox-url={server.url}", "-p",
                                           "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*query.event: expected 'install', got 'open'*"])


def test_wait_and_assert_take_both_spellings_of_the_wait(purchases: RunningServer):
    """`wait --timeout` and `assert --within` are one idea: each takes the other's name."""
    assert cli("wait", "--server", purchases.url, "--within", "5").returncode == 0
    held = cli("assert", "--server", purchases.url, "--channel", "net1", "--count", "2",
               "--timeout", "1")
    assert held.returncode == 0, held.stderr
    assert f"checked on {purchases.url}" in held.stdout
