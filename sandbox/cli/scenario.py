"""``validate`` and ``run``: check scenario files, render their postbacks."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sandbox.cli import main
from sandbox.errors import ScenarioError
from sandbox.render import Renderer, render_run, write_ndjson
from sandbox.scenario import load_scenario, resolve_scenario
from sandbox.scenario_model import Scenario


def _load(name_or_path: str) -> Scenario:
    return load_scenario(resolve_scenario(name_or_path))


@main.command()
@click.argument("files", nargs=-1, required=True)
def validate(files: tuple[str, ...]) -> None:
    """Check scenario FILES (paths or bundled names); exit 2 listing every mistake."""
    failed = False
    for name in files:
        try:
            scenario = _load(name)
        except ScenarioError as exc:
            failed = True
            for problem in exc.problems:
                click.echo(problem, err=True)
            continue
        campaigns = sum(len(n.campaigns) for n in scenario.networks)
        click.echo(f"ok: {scenario.source} ({scenario.name}: {len(scenario.networks)} "
                   f"network(s), {campaigns} campaign(s))")
    if failed:
        sys.exit(2)


@main.command()
@click.argument("scenario")
@click.option("--dry-run", is_flag=True, help="Render the postbacks as NDJSON; send nothing.")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Override the scenario's seed.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              default=None, help="Write NDJSON here instead of stdout.")
def run(scenario: str, dry_run: bool, seed: int | None, out: Path | None) -> None:
    """Run SCENARIO (a path or a bundled name such as quickstart)."""
    if not dry_run:
        raise click.UsageError("delivery is not available yet; use --dry-run")
    try:
        loaded = _load(scenario)
    except ScenarioError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        sys.exit(2)
    run_seed = loaded.seed if seed is None else seed
    renderer = Renderer(loaded, run_seed)
    stream = render_run(loaded, run_seed, renderer=renderer)
    if out is None:
        write_ndjson(stream, sys.stdout)
    else:
        with out.open("w", encoding="utf-8", newline="\n") as handle:
            write_ndjson(stream, handle)
    summary = renderer.summary
    where = f" -> {out}" if out is not None else ""
    click.echo(
        f"{loaded.name} (seed {run_seed}): {summary.installs} installs "
        f"({summary.installs - summary.organic} attributed, {summary.organic} organic), "
        f"{summary.events} events, {summary.postbacks} postbacks{where}",
        err=True,
    )

