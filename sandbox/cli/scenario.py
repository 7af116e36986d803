"""``validate`` and ``run``: check scenario files, render or deliver their postbacks."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click
from click.core import ParameterSource

from sandbox.cli import _golden as golden
from sandbox.cli import main
from sandbox.cli._delivery_run import (
    EXIT_USAGE,
    deliver_and_report,
    origin,
    refuse_empty_check,
)
from sandbox.cli._options import server_option, token_option
from sandbox.cli._remote_run import deliver_on_server, scenario_data
from sandbox.delivery.run import RunOptions
from sandbox.errors import ScenarioError
from sandbox.remote.client import is_sandbox
from sandbox.scenarios.load import load_scenario, resolve_scenario
from sandbox.scenarios.model import Scenario
from sandbox.scenarios.render import Renderer, render_run, write_ndjson
from sandbox.scenarios.render_jobs import write_run_ndjson
from sandbox.settings import DEFAULT_DB, Settings
from sandbox.skan import load_skan_config, skan_stream_from_db, with_skan


def _env(name: str) -> str:
    return Settings.env_name(name)


def _load(name_or_path: str) -> Scenario:
    scenario = load_scenario(resolve_scenario(name_or_path))
    load_skan_config(scenario)  # the skan: section's meaning checks
    return scenario


@main.command()
@click.argument("files", nargs=-1, required=True)
def validate(files: tuple[str, ...]) -> None:
    """Check scenario FILES (paths or bundled names); exit 2 listing every mistake.

    One pass finds them all: the schema, meanings (events, campaigns), macros, the expect:
    assertions and the skan: section; each as file:line: field: what, in line order.
    """
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
              default=None, help="With --dry-run: write NDJSON here instead of stdout.")
@click.option("--target-base", envvar=_env("target_base"), default=None,
              help="Send every postback to this scheme://host:port instead, keeping its path "
                   "and query (e.g. http://127.0.0.1:9000). When it is a sandbox and no "
                   "--server is given, it is the server.")
@click.option("--speed", type=float, default=None,
              help="Follow the scenario's timeline: 1 is real time, 60 a simulated hour per "
                   "minute. Default: as fast as possible (timestamps stay simulated).")
@click.option("--concurrency", type=click.IntRange(1, 1024), default=None,
              help="Requests in flight at once (default: the scenario's delivery.concurrency).")
@click.option("--check", is_flag=True,
              help="Check the scenario's expectations; exit 1 when any fails.")
@click.option("--allow-empty-check", is_flag=True,
              help="With --check: accept a scenario without expectations (only its "
                   "deliveries are judged) instead of exiting 2.")
@click.option("--junit", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              default=None, help="Write the expectations' results as JUnit XML here.")
@click.option("--jobs", envvar=_env("jobs"), type=click.IntRange(min=1), default=1,
              show_default=True, help="With --dry-run: render in this many processes "
              "(same output).")
@click.option("--record", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              default=None, help="Keep the postbacks as rendered and signed in this golden "
              "NDJSON file; send nothing.")
@click.option("--compare", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Render again and diff against this golden file, postback by postback; "
              "send nothing. Exit 0 same, 1 different (--junit writes a case per postback).")
@click.option("--ignore", multiple=True, metavar="NAME",
              help="With --compare: also skip this query/form parameter, header or JSON key "
              "(besides signatures, signing timestamps and nonces; see docs/scenarios.md).")
@server_option()
@token_option
@click.option("--db", envvar=_env("db"), default=DEFAULT_DB, show_default=True,
              help="Without --server: the database the run is logged in and checked against "
                   "(the one `serve` uses).")
def run(scenario: str, dry_run: bool, seed: int | None, out: Path | None,
        target_base: str | None, speed: float | None, concurrency: int | None, check: bool,
        allow_empty_check: bool, junit: Path | None, jobs: int, record: Path | None,
        compare: Path | None, ignore: tuple[str, ...], server: str | None,
        token: str | None, db: str) -> None:
    """Run SCENARIO (a path or a bundled name such as quickstart): deliver its postbacks.

    With --server URL (or SANDBOX_SERVER) the sandbox at URL delivers the scenario, logs the
    run and checks the expectations in its own database; without it, this process delivers
    and logs the run in --db.

    Exit codes: 0 every postback delivered (with --check: and every expectation holds);
    1 a postback did not end delivered (unless the scenario sets delivery.allow_failed) or an
    expectation failed; 2 a scenario, usage or configuration error, or --check on a scenario
    without expectations (unless --allow-empty-check); 130 interrupted.
    """
    try:
        path = resolve_scenario(scenario)
        loaded = _load(str(path))
    except ScenarioError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        sys.exit(EXIT_USAGE)
    if record is not None or compare is not None:
        sys.exit(_golden(loaded, seed, db, record, compare, ignore, junit, dry_run))
    if ignore:
        raise click.UsageError("--ignore goes with --compare")
    if dry_run:
        _dry_run(loaded, seed, out, db, jobs)
        return
    if out is not None:
        raise click.UsageError("--out goes with --dry-run")
    refuse_empty_check(loaded, check=check, allow_empty=allow_empty_check)
    options = RunOptions(seed=seed, target_base=target_base, speed=speed,
                         concurrency=concurrency)
    server = server or _sandbox_target(target_base)
    try:
        if server is None:
            code = deliver_and_report(loaded, options, db=db, check=check, junit=junit)
        else:
            _say_db_is_not_used(db, server)
            code = deliver_on_server(loaded, scenario_data(path), options, server=server,
                                     token=token, check=check, junit=junit)
    except ScenarioError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        sys.exit(EXIT_USAGE)
    sys.exit(code)


def _golden(loaded: Scenario, seed: int | None, db: str, record: Path | None,
            compare: Path | None, ignore: tuple[str, ...], junit: Path | None,
            dry_run: bool) -> int:
    if record is not None and compare is not None:
        raise click.UsageError("--record and --compare: one at a time")
    if dry_run:
        raise click.UsageError("--record and --compare render without sending: drop --dry-run")
    run_seed = loaded.seed if seed is None else seed
    if record is not None:
        if ignore:
            raise click.UsageError("--ignore goes with --compare")
        return golden.record(loaded, run_seed, db, record)
    assert compare is not None
    return golden.compare_with(loaded, run_seed, db, compare, ignore, junit)


def _sandbox_target(target_base: str | None) -> str | None:
    """A --target-base that is a sandbox is the server: the run is logged and checked there,
    never in a local database the server does not use."""
    if target_base is None or not is_sandbox(target_base):
        return None
    server = origin(target_base)
    click.echo(f"server: {server} (the --target-base is a sandbox: the run is logged and "
               "checked there; pass --server to say so)", err=True)
    return server


def _say_db_is_not_used(db: str, server: str) -> None:
    source = click.get_current_context().get_parameter_source("db")
    if source in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT):
        click.echo(f"note: --db {db} is not used: the run is logged and checked on {server}",
                   err=True)


def _dry_run(loaded: Scenario, seed: int | None, out: Path | None, db: str, jobs: int) -> None:
    run_seed = loaded.seed if seed is None else seed
    # SKAN postbacks are signed with the database's key (opened only for a skan: section)
    skan = skan_stream_from_db(db, loaded, run_seed)
    with contextlib.ExitStack() as stack:
        handle = sys.stdout if out is None else stack.enter_context(
            out.open("w", encoding="utf-8", newline="\n"))
        if skan is None:
            summary = write_run_ndjson(loaded, handle, run_seed, jobs=jobs)
        else:  # the SKAN stream follows the main one in one process
            renderer = Renderer(loaded, run_seed)
            write_ndjson(with_skan(render_run(loaded, run_seed, renderer=renderer), renderer,
                                   skan), handle)
            summary = renderer.summary
    where = f" -> {out}" if out is not None else ""
    click.echo(
        f"{loaded.name} (seed {run_seed}): {summary.installs} installs "
        f"({summary.installs - summary.organic} attributed, {summary.organic} organic), "
        f"{summary.events} events, {summary.postbacks} postbacks{where}",
        err=True,
    )
