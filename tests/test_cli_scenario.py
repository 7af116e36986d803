"""``postback-sandbox validate`` and ``run --dry-run`` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sandbox.cli import main
from sandbox.resources import bundled_scenario


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_validate_accepts_paths_and_bundled_names(runner: CliRunner) -> None:
    path = str(bundled_scenario("fraud"))
    result = runner.invoke(main, ["validate", "quickstart", path])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("ok: ") == 2


def test_validate_reports_every_mistake_and_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\napp: {name: A, ios: {app_id: 1}}\nnetworks:\n  - name: n\n"
                   "    postbacks: {install: 'https://x.test/?c={clik_id}'}\n"
                   "    campaigns: [{name: c, clicks: -1}]\n", encoding="utf-8")
    result = runner.invoke(main, ["validate", "quickstart", str(bad)])
    assert result.exit_code == 2
    assert "ok: " in result.stdout
    assert f"{bad}:6: networks[0].campaigns[0].clicks: expected a number at least 0" \
        in result.stderr
    assert "Traceback" not in result.output


def test_validate_names_a_semantic_mistake_with_its_line(
    runner: CliRunner, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\napp: {name: A, ios: {app_id: 1}}\nnetworks:\n  - name: n\n"
                   "    postbacks: {install: 'https://x.test/?c={clik_id}'}\n"
                   "    campaigns: [{name: c}]\n", encoding="utf-8")
    result = runner.invoke(main, ["validate", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"{bad}:5: networks[0].postbacks.install: unknown macro "
                                     "{clik_id} (did you mean {click_id}?)")


def test_validate_without_files_is_a_usage_error(runner: CliRunner) -> None:
    assert runner.invoke(main, ["validate"]).exit_code == 2


def test_dry_run_prints_ndjson(runner: CliRunner) -> None:
    result = runner.invoke(main, ["run", "quickstart", "--dry-run"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines and {"kind", "network", "method", "url", "headers", "body"} <= set(lines[0])
    assert lines[0]["kind"] == "install" and lines[0]["method"] == "GET"
    assert [line["seq"] for line in lines] == list(range(1, len(lines) + 1))
    assert "postbacks" in result.stderr


def test_dry_run_to_a_file_is_deterministic(runner: CliRunner, tmp_path: Path) -> None:
    first, second = tmp_path / "a.ndjson", tmp_path / "b.ndjson"
    for out in (first, second):
        result = runner.invoke(main, ["run", "adjust-style", "--dry-run", "--out", str(out)])
        assert result.exit_code == 0, result.output
    assert first.read_bytes() == second.read_bytes() and first.stat().st_size > 0
    assert result.stdout == ""


def test_seed_option_changes_the_traffic(runner: CliRunner) -> None:
    default = runner.invoke(main, ["run", "quickstart", "--dry-run"]).stdout
    seeded = runner.invoke(main, ["run", "quickstart", "--dry-run", "--seed", "8"]).stdout
    again = runner.invoke(main, ["run", "quickstart", "--dry-run", "--seed", "8"]).stdout
    assert seeded == again and seeded != default


@pytest.mark.parametrize("args", [["run", "nope", "--dry-run"], ["validate", "nope.yaml"]])
def test_unknown_scenario_is_one_clean_line(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(main, args)
    assert result.exit_code == 2
    assert "no such file, nor a bundled scenario" in result.stderr
    assert "Traceback" not in result.output and result.exception is None or \
        isinstance(result.exception, SystemExit)


def test_bad_seed_is_a_usage_error(runner: CliRunner) -> None:
    assert runner.invoke(main, ["run", "quickstart", "--dry-run", "--seed", "-3"]).exit_code == 2


def test_dry_run_with_jobs_writes_the_same_bytes(runner: CliRunner, tmp_path) -> None:
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs{jobs}.ndjson"
        result = runner.invoke(main, ["run", "appsflyer-style", "--dry-run", "--seed", "3",
                                      "--jobs", jobs, "--out", str(out)])
        assert result.exit_code == 0, result.output
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] and outputs[0]


BAD_EXPECTATIONS = """\
name: bad
app: {name: A, ios: {app_id: 1}}
networks:
  - name: n
    postbacks: {install: 'https://x.test/?c={click_id}'}
    campaigns: [{name: c}]
expect:
  - unique: qeury.click_id
  - where: {pth: /pb/x}
  - count: {gtee: 20}
  - count: {gte: 20, lte: 10}
  - where: {path: {gtee: 1}}
"""


@pytest.mark.parametrize("command", [["validate"], ["run", "--dry-run"]])
def test_expectations_are_validated_with_line_and_did_you_mean(
    runner: CliRunner, tmp_path: Path, command: list[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_EXPECTATIONS, encoding="utf-8")
    result = runner.invoke(main, [*command, str(bad)])
    assert result.exit_code == 2, result.output
    problems = result.stderr.splitlines()
    if command[0] == "run":
        problems = [p.removeprefix("error: ") for p in problems]
    wanted = [
        (8, "expect[0].unique: field 'qeury.click_id': unknown field", "'query.click_id'"),
        (9, "expect[1].where.pth: field 'pth': unknown field", "'path'"),
        (10, "expect[2].count: ", "'gte'"),
        (11, "expect[3].count: ", "can never hold: at least 20 and at most 10"),
        (12, "expect[4].where.path: unknown operator 'gtee'", "'gte'"),
    ]
    for line, start, hint in wanted:
        assert any(p.startswith(f"{bad}:{line}: {start}") and hint in p for p in problems), \
            (line, result.stderr)
    assert "Traceback" not in result.output


def test_a_real_run_refuses_bad_expectations_before_sending(
    runner: CliRunner, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_EXPECTATIONS, encoding="utf-8")
    result = runner.invoke(main, ["run", str(bad), "--db", str(tmp_path / "x.db"),
                                  "--target-base", "http://127.0.0.1:9"])
    assert result.exit_code == 2, result.output
    assert f"{bad}:11: expect[3].count: " in result.stderr


EVERY_KIND = """\
name: bad
days: lots
app: {name: A, ios: {app_id: 1}}
networks:
  - name: n
    postbacks: {install: 'https://x.test/?c={clik_id}'}
    campaigns: [{name: c, clicks: -1}]
expect:
  - where: {pth: /pb/x}
skan:
  networks:
    - {network: nn, ad_network_id: x.skadnetwork, url: 'https://x.test/skan'}
"""


def test_validate_lists_every_kind_of_mistake_in_one_pass_by_line(
    runner: CliRunner, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(EVERY_KIND, encoding="utf-8")
    result = runner.invoke(main, ["validate", str(bad)])
    assert result.exit_code == 2, result.output
    lines = [int(p[len(f"{bad}:"):].split(":")[0]) for p in result.stderr.splitlines()]
    assert lines == [2, 6, 7, 9, 12], result.stderr
    assert "unknown macro {clik_id}" in result.stderr  # a meaning problem beside schema ones
    assert "unknown network 'nn' (did you mean 'n'?)" in result.stderr  # and a skan one


def test_validate_help_promises_every_mistake(runner: CliRunner) -> None:
    result = runner.invoke(main, ["validate", "--help"])
    assert "every mistake" in result.stdout and "line" in result.stdout
