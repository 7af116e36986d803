"""The bundled ``skan`` scenario: it validates, dry-runs reproducibly, reports mistakes in its
``skan:`` section with file and line, and delivers to a live receiver that verifies it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner

from sandbox.cli import main
from sandbox.errors import ScenarioError
from sandbox.remote.process import RunningServer
from sandbox.resources import bundled_scenario
from sandbox.scenarios.load import load_scenario
from sandbox.skan import load_skan_config


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_bundled_scenario_validates(runner: CliRunner) -> None:
    result = runner.invoke(main, ["validate", "skan"])
    assert result.exit_code == 0, result.output
    config = load_skan_config(load_scenario(bundled_scenario("skan")))
    assert config is not None and {n.format for n in config.networks} == {"skan", "aak"}


def dry_run(runner: CliRunner, db: Path, out: Path) -> list[dict]:
    result = runner.invoke(main, ["run", "skan", "--dry-run", "--db", str(db), "--out",
                                  str(out)])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in out.read_text("utf-8").splitlines()]


def test_dry_run_renders_skan_and_aak_reproducibly(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    lines = dry_run(runner, db, tmp_path / "a.ndjson")
    assert [line["seq"] for line in lines] == list(range(1, len(lines) + 1))
    kinds = {line["kind"] for line in lines}
    assert {"install", "skan", "aak"} <= kinds
    skan = [json.loads(line["body"]) for line in lines if line["kind"] == "skan"]
    assert {doc["postback-sequence-index"] for doc in skan} == {0, 1, 2}
    copies = [line for line in lines if "/.well-known/" in line["url"]]
    assert copies and all(json.loads(c["body"]).get("did-win", True) for c in copies)
    again = dry_run(runner, db, tmp_path / "b.ndjson")
    assert (tmp_path / "a.ndjson").read_bytes() == (tmp_path / "b.ndjson").read_bytes()
    assert again == lines  # same key (in the database) and seed: byte for byte


def test_scenarios_without_skan_do_not_open_the_database(runner: CliRunner, tmp_path: Path
                                                         ) -> None:
    db = tmp_path / "never.db"
    result = runner.invoke(main, ["run", "quickstart", "--dry-run", "--db", str(db)])
    assert result.exit_code == 0 and not db.exists()


@pytest.mark.parametrize(("change", "expected"), [
    (lambda s: s["networks"][0].update(network="skanet"),
     "skan.networks[0].network: unknown network 'skanet' (did you mean 'skannet'?)"),
    (lambda s: s["conversion_values"].append({"event": "af_purchse", "fine": 1}),
     "skan.conversion_values[4].event: unknown event 'af_purchse'"),
    (lambda s: s["networks"][0]["source_identifiers"].update(nope="1234"),
     "skan.networks[0].source_identifiers.nope: unknown campaign of 'skannet'"),
    (lambda s: s["conversion_values"].append({"fine": 1}),
     "skan.conversion_values[4]: expected a condition"),
])
def test_mistakes_in_the_skan_section_name_the_field(runner: CliRunner, tmp_path: Path,
                                                     change, expected: str) -> None:
    data = yaml.safe_load(bundled_scenario("skan").read_text("utf-8"))
    data["start"] = str(data["start"])
    change(data["skan"])
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert expected in result.stderr and f"{path}:" in result.stderr
    assert "Traceback" not in result.output


def test_schema_mistakes_name_the_line(tmp_path: Path) -> None:
    text = bundled_scenario("skan").read_text("utf-8").replace(
        "format: aak", "format: jws")
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    line = text.splitlines().index("      format: jws") + 1
    assert any(f":{line}: skan.networks[1].format" in p for p in caught.value.problems)


@pytest.fixture
def verifying(server: RunningServer) -> Iterator[RunningServer]:
    for channel in ("skan", "skan-developer"):
        answer = httpx.put(f"{server.url}/api/channels/{channel}",
                           json={"verification": {"kind": "skan"}})
        assert answer.status_code == 200
    yield server
    for channel in ("skan", "skan-developer"):
        httpx.delete(f"{server.url}/api/channels/{channel}")


@pytest.mark.slow
def test_delivers_to_a_live_receiver_with_verdict_valid(runner: CliRunner,
                                                        verifying: RunningServer) -> None:
    result = runner.invoke(main, ["run", "skan", "--check", "--target-base", verifying.url,
                                  "--db", str(verifying.db)])
    assert result.exit_code == 0, result.output
    assert "failed 0" in result.stdout
    for channel in ("skan", "skan-developer"):
        page = httpx.get(f"{verifying.url}/api/postbacks",
                         params={"channel": channel, "limit": 500}).json()
        verdicts = {item["verdict"] for item in page["postbacks"]}
        assert page["postbacks"] and verdicts == {"valid"}, channel
    deliveries = httpx.get(f"{verifying.url}/api/deliveries",
                           params={"network": "aaknet", "limit": 500}).json()["deliveries"]
    assert {d["kind"] for d in deliveries} == {"install", "aak"}
    assert {d["state"] for d in deliveries} == {"delivered"}
