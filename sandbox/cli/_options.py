"""Options shared by the commands that read or write sandbox data: defined once."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import yaml

from sandbox.errors import ConfigError
from sandbox.scenarios.presets import PRESETS
from sandbox.settings import DEFAULT_DB, Settings
from sandbox.signing import parse_profile

Decorator = Callable[[Any], Any]


def server_option(*, default: str | None = None,
                  help: str = "The running sandbox to talk to (over its HTTP API) instead of "
                              "opening --db.") -> Decorator:
    return click.option("--server", envvar="SANDBOX_SERVER", default=default, metavar="URL",
                        show_default=default is not None, help=help)


token_option = click.option("--token", envvar="SANDBOX_TOKEN", default=None,
                            help="Admin token for an exposed sandbox.")


def db_option(help: str = "SQLite database file (the one `serve` uses), when no --server "
                          "is given.") -> Decorator:
    return click.option("--db", envvar=Settings.env_name("db"), default=DEFAULT_DB,
                        show_default=True, help=help)


def where(server: str | None, db: str) -> str:
    """Where a result came from, as the output says it: 'on URL' or 'in FILE'."""
    return f"on {server.rstrip('/')}" if server else f"in {db}"


PRESET_NAMES = [name for name in PRESETS if name != "none"]


def read_profile(path: Path | None) -> dict[str, Any] | None:
    """A signing profile file (``--profile``), checked for its shape; None without one."""
    if path is None:
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"--profile {path}: not YAML or JSON ({exc})", field="profile") from None
    if not isinstance(data, dict) or "kind" not in data:
        raise ConfigError(f"--profile {path}: expected a mapping with a 'kind' (hmac, "
                          "query_token, header_token, standard_webhooks)", field="profile")
    try:
        parse_profile(data, env=os.environ, where="profile")
    except ConfigError as exc:
        raise ConfigError(f"--profile {path}: {exc.message}", field="profile") from None
    return data
