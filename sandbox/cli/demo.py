"""``postback-sandbox demo``: start the sandbox and run the bundled quickstart against it, so a
newcomer sees postbacks arrive within seconds. Ctrl-C stops both."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import click

from sandbox.cli import main
from sandbox.cli._delivery_run import deliver_and_report
from sandbox.client import wait_until_up
from sandbox.delivery.run import RunOptions
from sandbox.errors import ConfigError
from sandbox.scenario import load_scenario, resolve_scenario
from sandbox.settings import DEFAULT_DB, DEFAULT_PORT, Settings
from sandbox.testing import READY_PREFIX

DEMO_SCENARIO = "quickstart"
STOP_SECONDS = 15


def start_server(port: int, db: str) -> tuple[subprocess.Popen[str], str]:
    """``serve`` in a child process (its own session, so it stops when we say so); answer it
    and its URL once it answers."""
    command = [sys.executable, "-m", "sandbox", "serve", "--port", str(port), "--db", db,
               "--log-level", "warning"]  # one line per capture would bury the summary
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env,
                               start_new_session=True)
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
    return process, url


def stop_server(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(STOP_SECONDS)
    if process.stdout is not None:
        process.stdout.close()


@main.command()
@click.option("--port", envvar=Settings.env_name("port"), default=DEFAULT_PORT, type=int,
              show_default=True, help="Port to serve on; 0 picks a free one.")
@click.option("--db", envvar=Settings.env_name("db"), default=DEFAULT_DB, show_default=True,
              help="SQLite database file (created if missing).")
@click.option("--exit", "exit_after", is_flag=True,
              help="Stop the server after the run instead of serving until Ctrl-C.")
def demo(port: int, db: str, exit_after: bool) -> None:
    """Start the sandbox and run the bundled quickstart scenario against its own receiver."""
    scenario = load_scenario(resolve_scenario(DEMO_SCENARIO))
    db = str(Path(db).resolve())
    process, url = start_server(port, db)
    code = 0
    try:
        click.echo(f"postback-sandbox demo: serving on {url}, sending the '{scenario.name}' "
                   "scenario to its receiver")
        code = deliver_and_report(scenario, RunOptions(target_base=url), db=db, check=True,
                                  junit=None)
        click.echo("")
        click.echo(f"  inspector  {url}/ui/")
        click.echo(f"  postbacks  {url}/api/postbacks?channel=quickstart")
        click.echo(f"  deliveries {url}/api/deliveries")
        click.echo(f"  next       postback-sandbox run quickstart --check "
                   f"--target-base {url} --db {db}")
        if not exit_after and code != 130:
            click.echo("Press Ctrl-C to stop.")
            with contextlib.suppress(KeyboardInterrupt):
                process.wait()
    finally:
        stop_server(process)
        click.echo("postback-sandbox demo stopped.")
    sys.exit(code)
