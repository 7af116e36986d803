"""``skan-key``: the sandbox's SKAdNetwork / AdAttributionKit signing key in the database.

Works on the database file directly, so it also serves a running sandbox (its receiver
notices a rotation on the next SKAN postback it verifies).
"""

from __future__ import annotations

import json

import click

from sandbox.cli import main
from sandbox.clock import SystemClock
from sandbox.settings import DEFAULT_DB, Settings
from sandbox.skan.keyring import current_key, key_view, keys_view, rotate
from sandbox.store import Store

db_option = click.option(
    "--db", envvar=Settings.env_name("db"), default=DEFAULT_DB, show_default=True,
    help="SQLite database file (the one `serve` uses).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@main.group("skan-key")
def skan_key() -> None:
    """The key SKAN and AdAttributionKit postbacks are signed with."""


@skan_key.command("show")
@db_option
@json_option
def show(db: str, as_json: bool) -> None:
    """Print the current public key (base64 SPKI, Apple's form); made on first use."""
    store = Store(db)
    try:
        view = key_view(current_key(store, SystemClock()))
    finally:
        store.close()
    click.echo(json.dumps(view, indent=2) if as_json else view["public_key"])


@skan_key.command("list")
@db_option
@json_option
def list_keys(db: str, as_json: bool) -> None:
    """List every key, newest first; retired keys still verify."""
    store = Store(db)
    try:
        views = keys_view(store, SystemClock())
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(views, indent=2))
        return
    for view in views["keys"]:
        state = "current" if view["current"] else f"retired {view['retired_at']}"
        click.echo(f"{view['key_id']}  {state}  created {view['created_at']}  "
                   f"{view['public_key']}")


@skan_key.command("rotate")
@db_option
@json_option
def rotate_key(db: str, as_json: bool) -> None:
    """Retire the current key (it keeps verifying) and make a new one."""
    store = Store(db)
    try:
        view = key_view(rotate(store, SystemClock()))
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(view, indent=2))
    else:
        click.echo(f"rotated: new current key {view['key_id']}")
        click.echo(view["public_key"])
