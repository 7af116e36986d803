"""The README's examples run, and its reference tables cannot drift from the code."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from sandbox.capture.keys import KEY_ALIASES
from sandbox.remote.process import RunningServer
from sandbox.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
DEFAULT_URL = "http://127.0.0.1:8377"


def examples(kind: str) -> list[str]:
    pattern = rf"<!-- test: {kind} -->\n```\w+\n(.*?)```"
    return re.findall(pattern, README, re.S)


@pytest.mark.parametrize("index", range(len(examples("shell"))))
def test_readme_shell_examples_run(server: RunningServer, tmp_path: Path, index: int):
    script = examples("shell")[index].replace(DEFAULT_URL, server.url)
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")  # as in a checkout
    bin_dir = Path(sys.executable).parent
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120,
                            env={"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr
    if "fail_first" in script:
        assert result.stdout.splitlines()[-3:] == ["503", "503", "200"]


def test_readme_pytest_example_runs(tmp_path: Path):
    (test_file := tmp_path / "test_readme_example.py").write_text(examples("pytest")[0])
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             str(test_file)], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_key_alias_table_matches_the_code():
    for key, aliases in KEY_ALIASES.items():
        row = ", ".join(f"`{alias}`" for alias in aliases)
        assert f"| `{key}` | {row} |" in README


def test_configuration_table_names_every_serve_flag():
    for name in ("host", "port", "db", "config", "workers", "max_body", "log_level"):
        flag = "--" + name.replace("_", "-")
        assert f"| `{flag}` | `{Settings.env_name(name)}` |" in README


@pytest.mark.parametrize("command", ["serve", "export", "clear", "assert", "wait"])
def test_every_documented_command_has_help(command: str):
    assert f"postback-sandbox {command}" in README
    result = subprocess.run([sys.executable, "-m", "sandbox", command, "--help"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and "Usage:" in result.stdout


def yaml_blocks(starting: str) -> list[str]:
    return [b for b in re.findall(r"```yaml\n(.*?)```", README, re.S) if b.startswith(starting)]


@pytest.mark.parametrize("index", range(len(yaml_blocks("channels:"))))
def test_readme_config_examples_are_valid(tmp_path: Path, index: int,
                                          monkeypatch: pytest.MonkeyPatch):
    from sandbox.web.config_file import load_config_file

    monkeypatch.setenv("NET1_SECRET", "s3cret")
    config = tmp_path / "sandbox.yaml"
    config.write_text(yaml_blocks("channels:")[index])
    assert load_config_file(config)["channels"]


def test_readme_expectation_examples_parse(tmp_path: Path):
    from sandbox.docfile import load_document
    from sandbox.query.matchers import parse_assertion

    for block in yaml_blocks("expect:"):
        (path := tmp_path / "expect.yaml").write_text(block)
        for document in load_document(path, {"type": "object"})["expect"]:
            assert parse_assertion(document).name


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_readme_github_actions_job_runs_as_written(tmp_path: Path):
    """The README's CI job, its own `run:` steps in order: the server started in one
    directory, every other step in another, on a free port instead of 8377. Only the
    install step (done) and the user's integration script (one postback) are stood in for."""
    job = yaml.safe_load(README.split("**A GitHub Actions job**")[1]
                         .split("```yaml\n")[1].split("```")[0])["jobs"]["postbacks"]
    steps = [step["run"] for step in job["steps"] if "run" in step]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server_dir, work_dir = tmp_path / "server", tmp_path / "work"
    server_dir.mkdir()
    work_dir.mkdir()
    (work_dir / "expectations.yaml").write_text(yaml.safe_dump({"expect": [
        {"name": "the integration's postback arrived", "channel": "mine", "count": 1,
         "within": 10}]}))
    bin_dir = Path(sys.executable).parent
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path),
           **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"},  # a source checkout
           **{name: value.replace(DEFAULT_URL, url) for name, value in job["env"].items()}}
    stand_ins = {"pip install": "true",
                 "./run-my-integration.sh": f"curl -sf {url}/pb/mine/install?click_id=c1"}
    server = None
    try:
        for step in steps:
            command = next((v for k, v in stand_ins.items() if step.startswith(k)), step)
            command = command.replace(DEFAULT_URL, url)
            if command.startswith("postback-sandbox serve"):
                server = subprocess.Popen(
                    ["bash", "-c", f"exec {command.split('>')[0]} --port {port}"],
                    cwd=server_dir, env=env, start_new_session=True,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                continue
            result = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=work_dir,
                                    env=env, capture_output=True, text=True, timeout=120)
            assert result.returncode == 0, (command, result.stdout + result.stderr)
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGINT)
            server.wait(15)
    assert (server_dir / "sandbox.db").exists() and not (work_dir / "postback-sandbox.db").exists()
    for report in ("scenario.xml", "postbacks.xml"):
        assert ET.parse(work_dir / report).getroot().get("failures") == "0"
