"""``export`` and ``clear``: work on a running server (``--server``/``SANDBOX_SERVER``) or on
the database file directly; each says which one it worked on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO

import click

from sandbox.cli import main
from sandbox.cli._options import db_option, server_option, token_option, where
from sandbox.db_url import database, is_postgres
from sandbox.errors import ConfigError
from sandbox.query.listing import export, parse_query
from sandbox.remote.client import SandboxClient
from sandbox.store import Store


def open_existing(db: str) -> Store:
    db = database(db)
    if not is_postgres(db) and not Path(db).is_file():
        raise ConfigError(f"database {db} does not exist (start the server, pass --db, or "
                          "--server URL for a running sandbox)")
    return Store(db)


@main.command("export")
@server_option()
@db_option()
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
        with SandboxClient(server, token=token) as client:
            text = client.export(args)
        out.write(text)
        count = text.count("\n")
    else:
        store = open_existing(db)
        try:
            count = 0
            for view in export(store, parse_query(args).filters, reveal=reveal):
                out.write(json.dumps(view, ensure_ascii=False) + "\n")
                count += 1
        finally:
            store.close()
    click.echo(f"exported {count} postback{'s' if count != 1 else ''} {where(server, db)}",
               err=True)


@main.command("clear")
@server_option()
@db_option()
@token_option
@click.option("--channel", default=None, help="Only this channel (default: every channel).")
def clear_command(server: str | None, db: str, token: str | None, channel: str | None) -> None:
    """Delete captured postbacks (channel settings are kept)."""
    if server:
        with SandboxClient(server, token=token) as client:
            deleted = client.clear(channel)
    else:
        store = open_existing(db)
        try:
            deleted = store.captures.delete(channel)
        finally:
            store.close()
    scope = f" from channel {channel}" if channel else ""
    click.echo(f"deleted {deleted} postback{'s' if deleted != 1 else ''}{scope} "
               f"{where(server, db)}")
