"""``postback-sandbox serve``: the whole sandbox on one port."""

from __future__ import annotations

import contextlib

import click

from sandbox.cli import main
from sandbox.server import Bound, serve
from sandbox.settings import DEFAULT_DB, DEFAULT_PORT, Settings, load_settings


def _announce(bound: Bound) -> None:
    # The first line is for scripts: "postback-sandbox listening on <url>".
    click.echo(f"postback-sandbox listening on {bound.url}", nl=True)
    click.echo(f"  receiver   {bound.url}/pb/<channel>   (any other path: channel 'default')")
    click.echo(f"  API        {bound.url}/api/health")
    click.echo(f"  inspector  {bound.url}/ui/")
    click.echo("Press Ctrl-C to stop.")


@main.command("serve")
@click.option("--host", envvar=Settings.env_name("host"), default="127.0.0.1", show_default=True,
              help="Address to bind. Anything but loopback exposes the sandbox.")
@click.option("--port", envvar=Settings.env_name("port"), default=DEFAULT_PORT, type=int,
              show_default=True, help="Port to bind; 0 picks a free one.")
@click.option("--db", envvar=Settings.env_name("db"), default=DEFAULT_DB, show_default=True,
              help="SQLite database file (created if missing).")
@click.option("--config", "config_file", envvar=Settings.env_name("config"), default=None,
              help="Sandbox configuration file (YAML or JSON).")
@click.option("--workers", envvar=Settings.env_name("workers"), default=2, type=int,
              show_default=True, help="Worker processes.")
@click.option("--max-body", envvar=Settings.env_name("max_body"), default=1024 * 1024, type=int,
              show_default=True, help="Largest body accepted, in bytes; larger ones get 413.")
@click.option("--log-level", envvar=Settings.env_name("log_level"), default="info",
              show_default=True,
              type=click.Choice(["debug", "info", "warning", "error", "critical"]),
              help="Logging level; info logs one line per capture.")
def serve_command(host: str, port: int, db: str, config_file: str | None, workers: int,
                  max_body: int, log_level: str) -> None:
    """Start the sandbox: receiver, API and inspector on one port."""
    settings = load_settings(
        {"host": host, "port": port, "db": db, "config": config_file, "workers": workers,
         "max_body": max_body, "log_level": log_level},
        environ={},
    )
    with contextlib.suppress(KeyboardInterrupt):
        serve(settings, _announce)
    click.echo("postback-sandbox stopped.")
