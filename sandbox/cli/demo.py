"""``postback-sandbox demo``: start the sandbox and run the bundled quickstart against it, so a
newcomer sees postbacks arrive within seconds. Ctrl-C or SIGTERM stops both."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import click

from sandbox.cli import main
from sandbox.cli._delivery_run import EXIT_INTERRUPTED, deliver_and_report
from sandbox.delivery.run import RunOptions
from sandbox.errors import ConfigError
from sandbox.remote.client import wait_until_up
from sandbox.remote.process import READY_PREFIX
from sandbox.scenarios.load import load_scenario, resolve_scenario
from sandbox.settings import DEFAULT_DB, DEFAULT_PORT, Settings

DEMO_SCENARIO = "quickstart"
STOP_SECONDS = 15
STOP_GRACE = 1.0  # seconds the server gets to stop on Ctrl-C before SIGKILL


def start_server(port: int, db: str) -> tuple[subprocess.Popen[str], str]:
    """``serve`` in a child process (its own session, so it stops when we say so); answer it
    and its URL once it answers. Interrupted while it starts, it is stopped again."""
    command = [sys.executable, "-m", "sandbox", "serve", "--port", str(port), "--db", db,
               "--log-level", "warning"]  # one line per capture would bury the summary
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env,
                               start_new_session=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        while line and not line.startswith(READY_PREFIX):
            line = process.stdout.readline()
        if not line:
            process.wait(STOP_SECONDS)
            raise ConfigError(f"the sandbox did not start (exit code {process.returncode}); "
                              "see the message above")
        url = line[len(READY_PREFIX):].strip()
        wait_until_up(url, timeout=30)
    except BaseException:
        stop_server(process)
        raise
    return process, url


def stop_server(process: subprocess.Popen[str]) -> None:
    """Ctrl-C for the server; after ``STOP_GRACE`` seconds, SIGKILL for its whole process
    group (acknowledged captures are committed already), and any worker left behind too."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(STOP_GRACE)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # its own session: only its processes
    process.wait(STOP_SECONDS)
    if process.stdout is not None:
        process.stdout.close()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the demo the way Ctrl-C does


@main.command()
@click.option("--port", envvar=Settings.env_name("port"), default=DEFAULT_PORT, type=int,
              show_default=True, help="Port to serve on; 0 picks a free one.")
@click.option("--db", envvar=Settings.env_name("db"), default=DEFAULT_DB, show_default=True,
              help="SQLite database file (created if missing).")
@click.option("--exit", "exit_after", is_flag=True,
              help="Stop the server after the run instead of serving until Ctrl-C.")
def demo(port: int, db: str, exit_after: bool) -> None:
    """Start the sandbox and run the bundled quickstart scenario against its own receiver.

    Ctrl-C or SIGTERM stops the demo and its server.
    """
    scenario = load_scenario(resolve_scenario(DEMO_SCENARIO))
    db = str(Path(db).resolve())
    signal.signal(signal.SIGTERM, _interrupt)
    process: subprocess.Popen[str] | None = None
    code = 0
    try:
        process, url = start_server(port, db)
        click.echo(f"postback-sandbox demo: serving on {url}, sending the '{scenario.name}' "
                   "scenario to its receiver")
        code = deliver_and_report(scenario, RunOptions(target_base=url), db=db, check=True,
                                  junit=None)
        click.echo("")
        click.echo(f"  inspector  {url}/ui/")
        click.echo(f"  postbacks  {url}/api/postbacks?channel=quickstart")
        click.echo(f"  deliveries {url}/api/deliveries")
        click.echo(f"  next       postback-sandbox run quickstart --check --server {url}")
        if not exit_after and code != EXIT_INTERRUPTED:
            click.echo("Press Ctrl-C to stop.")
            with contextlib.suppress(KeyboardInterrupt):
                process.wait()
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):  # a second signal must not cut the stop
            signal.signal(sig, signal.SIG_IGN)
        if process is not None:
            stop_server(process)
        click.echo("postback-sandbox demo stopped.")
    sys.exit(code)
