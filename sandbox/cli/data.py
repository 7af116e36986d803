"""``export`` and ``clear``: work on the database file directly, or on a running server."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO

import click
import httpx

from sandbox.cli import main
from sandbox.errors import ConfigError, SandboxError
from sandbox.postback_query import export, parse_query
from sandbox.settings import DEFAULT_DB, Settings
from sandbox.store import Store

server_option = click.option(
    "--server", envvar="SANDBOX_SERVER", default=None, metavar="URL",
    help="Talk to a running sandbox at URL instead of opening the database.",
)
db_option = click.option(
    "--db", envvar=Settings.env_name("db"), default=DEFAULT_DB, show_default=True,
    help="SQLite database file.",
)
token_option = click.option(
    "--token", envvar="SANDBOX_TOKEN", default=None, help="Admin token for an exposed sandbox.",
)


def open_existing(db: str) -> Store:
    if not Path(db).is_file():
        raise ConfigError(f"database {db} does not exist (start the server or pass --db)")
    return Store(db)


def server_call(method: str, url: str, token: str | None, **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        answer = httpx.request(method, url, headers=headers, timeout=60, **kwargs)
    except httpx.HTTPError as exc:
        raise ConfigError(f"cannot reach the sandbox at {url}: {exc}") from None
    if answer.status_code >= 400:
        try:
            message = answer.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = answer.text[:200]
        raise SandboxError(f"{url}: {answer.status_code} {message}")
    return answer


@main.command("export")
@server_option
@db_option
@token_option
@click.option("--channel", default=None, help="Only this channel.")
@click.option("--since", default=None, help="Only postbacks received at or after this ISO time.")
@click.option("--out", type=click.File("w"), default="-", show_default=True,
              help="Write NDJSON here.")
@click.option("--reveal", is_flag=True, help="Do not mask tokens, secrets and credentials.")
def export_command(server: str | None, db: str, token: str | None, channel: str | None,
                   since: str | None, out: IO[str], reveal: bool) -> None:
    """Write every captured postback as NDJSON, oldest first (credentials masked)."""
    args = {k: v for k, v in {"channel": channel, "since": since}.items() if v}
    if reveal:
        args["reveal"] = "1"
    if server:
        answer = server_call("GET", f"{server.rstrip('/')}/api/export", token, params=args)
        out.write(answer.text)
        return
    store = open_existing(db)
    for view in export(store, parse_query(args).filters, reveal=reveal):
        out.write(json.dumps(view, ensure_ascii=False) + "\n")


@main.command("clear")
@server_option
@db_option
@token_option
@click.option("--channel", default=None, help="Only this channel (default: every channel).")
def clear_command(server: str | None, db: str, token: str | None, channel: str | None) -> None:
    """Delete captured postbacks (channel settings are kept)."""
    if server:
        params = {"channel": channel} if channel else {}
        answer = server_call("DELETE", f"{server.rstrip('/')}/api/postbacks", token, params=params)
        deleted = answer.json()["deleted"]
    else:
        deleted = open_existing(db).captures.delete(channel)
    where = f" from channel {channel}" if channel else ""
    click.echo(f"deleted {deleted} postback{'s' if deleted != 1 else ''}{where}", file=sys.stdout)
