"""``postback-sandbox serve``: the whole sandbox on one port."""

from __future__ import annotations

import contextlib
from typing import Any

import click

from sandbox.cli import main
from sandbox.settings import (
    DEFAULT_DB,
    DEFAULT_PORT,
    Settings,
    load_settings,
    with_admin_token,
)
from sandbox.web.server import Bound, serve


def _announcer(settings: Settings, *, generated: bool) -> Any:
    def announce(bound: Bound) -> None:
        # The first line is for scripts: "postback-sandbox listening on <url>".
        click.echo(f"postback-sandbox listening on {bound.url}", nl=True)
        click.echo(f"  receiver   {bound.url}/pb/<channel>   (any other path: channel 'default')")
        click.echo(f"  API        {bound.url}/api/health")
        click.echo(f"  inspector  {bound.url}/ui/")
        click.echo(f"  live loop  {bound.url}/c/<campaign>   {bound.url}/mmp/v1/installs")
        if bound.certificate is not None:
            made = "generated" if bound.certificate.created else "reused"
            click.echo(f"  TLS        self-signed certificate ({made}): trust "
                       f"{bound.certificate.cert}")
            click.echo(f"             SHA-256 {bound.certificate.fingerprint}")
        if settings.requires_token:
            shown = settings.token if generated else "(as given with --token / SANDBOX_TOKEN)"
            click.echo(f"  admin token {shown}")
            click.echo("             send 'Authorization: Bearer <token>' to /api/, or log in "
                       f"at {bound.url}/ui/login")
        click.echo("Press Ctrl-C to stop.")

    return announce


def _env(name: str) -> str:
    return Settings.env_name(name)


@main.command("serve")
@click.option("--host", envvar=_env("host"), default="127.0.0.1", show_default=True,
              help="Address to bind. Anything but 127.0.0.1 exposes the sandbox and requires "
                   "the admin token for /api/ and /ui/.")
@click.option("--port", envvar=_env("port"), default=DEFAULT_PORT, type=int,
              show_default=True, help="Port to bind; 0 picks a free one.")
@click.option("--db", envvar=_env("db"), default=DEFAULT_DB, show_default=True,
              help="SQLite database file (created if missing).")
@click.option("--config", "config", envvar=_env("config"), default=None,
              help="Sandbox configuration file (YAML or JSON).")
@click.option("--workers", envvar=_env("workers"), default=2, type=int,
              show_default=True, help="Worker processes.")
@click.option("--token", envvar=_env("token"), default=None,
              help="Admin token for /api/ and /ui/ (generated and printed when bound beyond "
                   "127.0.0.1 and not given).")
@click.option("--max-body", envvar=_env("max_body"), default=1024 * 1024, type=int,
              show_default=True, help="Largest body accepted, in bytes; larger ones get 413.")
@click.option("--max-decoded-body", envvar=_env("max_decoded_body"), default=1024 * 1024,
              type=int, show_default=True,
              help="Most bytes a gzip/deflate body is inflated to; larger stay compressed.")
@click.option("--max-headers", envvar=_env("max_headers"), default=64, type=int,
              show_default=True, help="Most header lines per request; more get 431 "
                                      "(at most 99: the HTTP server refuses over 100 itself).")
@click.option("--max-header-bytes", envvar=_env("max_header_bytes"), default=32 * 1024,
              type=int, show_default=True, help="Largest total header size; larger get 431.")
@click.option("--max-url", envvar=_env("max_url"), default=8 * 1024, type=int,
              show_default=True, help="Longest path + query string; longer get 414 "
                                      "(at most 64534: the HTTP server refuses over 65534).")
@click.option("--max-json-depth", envvar=_env("max_json_depth"), default=64, type=int,
              show_default=True, help="Deeper JSON bodies are stored raw, not parsed.")
@click.option("--max-json-elements", envvar=_env("max_json_elements"), default=10_000,
              type=int, show_default=True,
              help="JSON bodies with more values are stored raw, not parsed.")
@click.option("--header-timeout", envvar=_env("header_timeout"), default=10.0, type=float,
              show_default=True, help="Seconds a client may take to send its request head.")
@click.option("--body-timeout", envvar=_env("body_timeout"), default=10.0, type=float,
              show_default=True, help="Seconds a client may take to send its whole body; "
                                      "slower ones get 408, recorded with what arrived.")
@click.option("--max-wait", envvar=_env("max_wait"), default=300.0, type=float,
              show_default=True, help="Longest 'within' or long-poll wait a client may ask for.")
@click.option("--max-postbacks", envvar=_env("max_postbacks"), default=0, type=int,
              show_default=True, help="Keep only the newest N captures (0 keeps all).")
@click.option("--max-age", envvar=_env("max_age"), default=None,
              help="Drop captures older than this, e.g. 7d, 12h, 30m (default: keep).")
@click.option("--log-level", envvar=_env("log_level"), default="info",
              show_default=True,
              type=click.Choice(["debug", "info", "warning", "error", "critical"]),
              help="Logging level; info logs one line per capture.")
@click.option("--tls", envvar=_env("tls"), is_flag=True, default=False,
              help="Serve HTTPS with a self-signed certificate kept next to the database "
                   "(generated once; its file and SHA-256 fingerprint are printed).")
def serve_command(**options: Any) -> None:
    """Start the sandbox: receiver, API and inspector on one port."""
    settings, generated = with_admin_token(load_settings(options, environ={}))
    with contextlib.suppress(KeyboardInterrupt):
        serve(settings, _announcer(settings, generated=generated))
    click.echo("postback-sandbox stopped.")
