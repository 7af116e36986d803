"""Golden runs: `run --record` keeps what a scenario sends; `run --compare` renders again and
names exactly what changed, parameter by parameter and JSON path by path."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from sandbox.cli import main
from sandbox.resources import scenarios_dir
from sandbox.scenarios.golden import DEFAULT_IGNORE, compare
from sandbox.scenarios.load import resolve_scenario

BUNDLED = sorted(path.stem for path in scenarios_dir().glob("*.yaml"))


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["run", *args])
    return result.exit_code, result.output


@pytest.fixture
def quickstart(tmp_path: Path) -> Path:
    copy = tmp_path / "quickstart.yaml"
    copy.write_text(resolve_scenario("quickstart").read_text(encoding="utf-8"),
                    encoding="utf-8")
    return copy


@pytest.mark.parametrize("name", BUNDLED)
def test_same_seed_same_postbacks_for_every_bundled_scenario(name: str, tmp_path: Path):
    golden, db = tmp_path / "golden.ndjson", str(tmp_path / "s.db")
    code, out = run(name, "--seed", "7", "--record", str(golden), "--db", db)
    assert code == 0 and "recorded" in out, out
    code, out = run(name, "--seed", "7", "--compare", str(golden), "--db", db)
    assert code == 0 and out.strip().startswith("same: "), out


def test_a_changed_template_reports_exactly_that_parameter(quickstart: Path, tmp_path: Path):
    golden = tmp_path / "golden.ndjson"
    assert run(str(quickstart), "--record", str(golden))[0] == 0
    text = quickstart.read_text(encoding="utf-8")
    quickstart.write_text(text.replace("&campaign={campaign}&", "&campaign={campaign_id}&"),
                          encoding="utf-8")
    code, out = run(str(quickstart), "--compare", str(golden))
    assert code == 1
    changes = [line.strip() for line in out.splitlines() if line.startswith("  ")]
    installs = [line for line in out.splitlines() if line.startswith("postback ")]
    assert changes and all(c.startswith("query.campaign: ") for c in changes)
    assert len(changes) == len(installs) and all("(install to" in line for line in installs)
    assert out.splitlines()[-1].endswith("postbacks differ")
    assert run(str(quickstart), "--compare", str(golden), "--ignore", "campaign")[0] == 0


def test_a_json_body_change_is_reported_path_by_path(tmp_path: Path):
    scenario = tmp_path / "adjust.yaml"
    scenario.write_text(resolve_scenario("adjust-style").read_text(encoding="utf-8"),
                        encoding="utf-8")
    golden = tmp_path / "golden.ndjson"
    assert run(str(scenario), "--record", str(golden), "--db", str(tmp_path / "s.db"))[0] == 0
    text = scenario.read_text(encoding="utf-8")
    scenario.write_text(text.replace('device: {gps_adid: "{gaid}",', 'device: {gps_adid: "x",'),
                        encoding="utf-8")
    code, out = run(str(scenario), "--compare", str(golden), "--junit",
                    str(tmp_path / "junit.xml"), "--db", str(tmp_path / "s.db"))
    assert code == 1
    changes = {line.strip().split(":")[0] for line in out.splitlines() if line.startswith("  ")}
    assert changes == {"json $.device.gps_adid"}
    suite = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    assert suite is not None and int(suite.get("failures", "0")) > 0
    failed = [case for case in suite if case.find("failure") is not None]
    assert all("json $.device.gps_adid" in (case.find("failure").text or "")  # type: ignore[union-attr]
               for case in failed)


def test_a_bad_golden_file_names_its_line(quickstart: Path, tmp_path: Path):
    golden = tmp_path / "golden.ndjson"
    golden.write_text('{"seq": 1, "method": "GET", "url": "http://x/"}\nnot json\n',
                      encoding="utf-8")
    code, out = run(str(quickstart), "--compare", str(golden))
    assert code == 2 and f"{golden}:2: not a JSON line" in out
    code, out = run(str(quickstart), "--compare", str(tmp_path / "missing.ndjson"))
    assert code == 2 and "missing.ndjson" in out


def test_usage_errors_exit_2(quickstart: Path, tmp_path: Path):
    golden = str(tmp_path / "g.ndjson")
    assert run(str(quickstart), "--record", golden, "--compare", golden)[0] == 2
    assert run(str(quickstart), "--record", golden, "--dry-run")[0] == 2
    assert run(str(quickstart), "--dry-run", "--ignore", "x")[0] == 2


postback = st.fixed_dictionaries({
    "seq": st.integers(1, 5), "method": st.sampled_from(["GET", "POST"]),
    "url": st.lists(st.tuples(st.sampled_from("abcd"), st.text("xyz&= %", max_size=3)),
                    max_size=4).map(lambda pairs: "http://h.test/p?" + "&".join(
                        f"{k}={v.replace('&', '%26').replace('=', '%3D')}" for k, v in pairs)),
    "headers": st.dictionaries(st.sampled_from(["X-A", "X-B"]), st.text("xy", max_size=2)),
    "body": st.one_of(st.none(), st.recursive(
        st.integers(0, 3) | st.text("xy", max_size=2),
        lambda inner: st.dictionaries(st.sampled_from("kl"), inner, max_size=2),
        max_leaves=4).map(lambda value: __import__("json").dumps(value))),
})


@given(st.lists(postback, max_size=4, unique_by=lambda p: p["seq"]))
def test_a_run_compared_with_itself_is_the_same(postbacks: list[dict]):
    assert all(diff.same for diff in compare(postbacks, postbacks))


@given(postback, st.sampled_from("abcd"), st.text("xyz", min_size=1, max_size=3))
def test_one_changed_parameter_is_one_change(item: dict, name: str, value: str):
    changed = dict(item, url=item["url"] + f"&{name}=CHANGED{value}")
    [diff] = compare([item], [changed])
    assert [change.where for change in diff.changes] == [f"query.{name}"]


def test_the_documented_skip_list_is_the_one_used():
    docs = (Path(__file__).resolve().parents[1] / "docs" / "scenarios.md").read_text()
    section = docs.split("### Golden runs")[1].split("###")[0]
    assert all(f"`{name}`" in section for name in DEFAULT_IGNORE)
