"""The README's examples run, and its reference tables cannot drift from the code."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.postback_keys import KEY_ALIASES
from sandbox.settings import Settings
from sandbox.testing import RunningServer

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
    from sandbox.config_file import load_config_file

    monkeypatch.setenv("NET1_SECRET", "s3cret")
    config = tmp_path / "sandbox.yaml"
    config.write_text(yaml_blocks("channels:")[index])
    assert load_config_file(config)["channels"]


def test_readme_expectation_examples_parse(tmp_path: Path):
    from sandbox.docfile import load_document
    from sandbox.matchers import parse_assertion

    for block in yaml_blocks("expect:"):
        (path := tmp_path / "expect.yaml").write_text(block)
        for document in load_document(path, {"type": "object"})["expect"]:
            assert parse_assertion(document).name
