"""Every bundled scenario runs as shipped against a real sandbox and passes its own
expectations; the documents the repository's files point to exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from sandbox.cli import main
from sandbox.remote.process import RunningServer
from sandbox.resources import scenarios_dir

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = sorted(path.stem for path in scenarios_dir().glob("*.yaml"))
SUMMARY = re.compile(r"sent (\d+), delivered (\d+), retried \d+, failed (\d+)")


@pytest.mark.slow
@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_scenario_runs_as_shipped(
    name: str, server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("EVERFLOW_TOKEN", "TUNE_TOKEN"):  # nothing from the environment
        monkeypatch.delenv(variable, raising=False)
    result = CliRunner().invoke(main, ["run", name, "--target-base", server.url,
                                       "--db", str(server.db), "--check"])
    assert result.exit_code == 0, result.output
    summary = SUMMARY.search(result.stdout)
    assert summary is not None, result.stdout
    sent, delivered, failed = map(int, summary.groups())
    assert sent > 0 and delivered == sent and failed == 0, result.stdout
    assert re.search(r"^[1-9]\d* passed, 0 failed$", result.stdout, re.M), result.stdout


def referenced_documents() -> list[tuple[str, str]]:
    found = []
    for folder in ("sandbox", "scenarios", "tests", "docs"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in (".py", ".yaml", ".json", ".md", ".html", ".js"):
                text = path.read_text(encoding="utf-8", errors="replace")
                found += [(str(path.relative_to(ROOT)), name)
                          for name in re.findall(r"\b[A-Za-z0-9_/-]+\.md\b", text)]
    return found


def test_every_referenced_document_is_in_the_repository() -> None:
    missing = [(source, name) for source, name in referenced_documents()
               if not (ROOT / name).is_file() and not (ROOT / "docs" / name).is_file()]
    assert missing == []
