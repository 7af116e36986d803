"""``skan-key``: the sandbox's SKAdNetwork / AdAttributionKit signing key.

With ``--server`` (or ``SANDBOX_SERVER``) it asks the running sandbox (``/api/skan/...``);
otherwise it works on the database file directly, which also serves a sandbox running on it
(its receiver notices a rotation on the next SKAN postback it verifies). Which one answered
is said on stderr, so stdout stays the key alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from sandbox.cli import main
from sandbox.cli._options import db_option, server_option, token_option, where
from sandbox.clock import SystemClock
from sandbox.remote.client import SandboxClient
from sandbox.skan.keyring import current_key, key_view, keys_view, rotate
from sandbox.store import Store

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def _ask(server: str | None, token: str | None, db: str, *, method: str, path: str,
         local: Callable[[Store], Any]) -> Any:
    """The API's answer at ``path`` on ``server``, else ``local`` on the database ``db``."""
    if server:
        with SandboxClient(server, token=token) as client:
            answer = client.request(method, path).json()
    else:
        store = Store(db)
        try:
            answer = local(store)
        finally:
            store.close()
    click.echo(f"skan key {where(server, db)}", err=True)
    return answer


def _shared(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in (json_option, token_option, db_option(), server_option()):
        command = option(command)
    return command


@main.group("skan-key")
def skan_key() -> None:
    """The key SKAN and AdAttributionKit postbacks are signed with."""


@skan_key.command("show")
@_shared
def show(server: str | None, db: str, token: str | None, as_json: bool) -> None:
    """Print the current public key (base64 SPKI, Apple's form); made on first use."""
    view = _ask(server, token, db, method="GET", path="/api/skan/public-key",
                local=lambda store: key_view(current_key(store, SystemClock())))
    click.echo(json.dumps(view, indent=2) if as_json else view["public_key"])


@skan_key.command("list")
@_shared
def list_keys(server: str | None, db: str, token: str | None, as_json: bool) -> None:
    """List every key, newest first; retired keys still verify."""
    views = _ask(server, token, db, method="GET", path="/api/skan/keys",
                 local=lambda store: keys_view(store, SystemClock()))
    if as_json:
        click.echo(json.dumps(views, indent=2))
        return
    for view in views["keys"]:
        state = "current" if view["current"] else f"retired {view['retired_at']}"
        click.echo(f"{view['key_id']}  {state}  created {view['created_at']}  "
                   f"{view['public_key']}")


@skan_key.command("rotate")
@_shared
def rotate_key(server: str | None, db: str, token: str | None, as_json: bool) -> None:
    """Retire the current key (it keeps verifying) and make a new one."""
    view = _ask(server, token, db, method="POST", path="/api/skan/keys/rotate",
                local=lambda store: key_view(rotate(store, SystemClock())))
    if as_json:
        click.echo(json.dumps(view, indent=2))
    else:
        click.echo(f"rotated: new current key {view['key_id']}")
        click.echo(view["public_key"])
