"""The server's settings: one place for every option, its SANDBOX_* variable and its default.

Precedence: explicit values (CLI flags, a test's mapping) over SANDBOX_* environment variables
over defaults. The CLI reads the same table, so a flag and its variable cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.errors import ConfigError

DEFAULT_PORT = 8377
DEFAULT_DB = "./postback-sandbox.db"


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    db: str = DEFAULT_DB
    config: str | None = None
    log_level: str = "info"
    workers: int = 2
    max_body: int = 1024 * 1024
    max_decoded_body: int = 16 * 1024 * 1024
    max_wait: float = 300.0  # the longest `within`/`during`/long-poll a client may ask for

    @staticmethod
    def env_name(field_name: str) -> str:
        return "SANDBOX_" + field_name.upper()

    def to_env(self) -> dict[str, str]:
        """The settings as SANDBOX_* variables, to hand to worker processes."""
        return {
            self.env_name(f.name): str(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if getattr(self, f.name) is not None
        }


def _convert(name: str, kind: Any, raw: Any) -> Any:
    if raw is None or kind in (str, "str", "str | None"):
        return raw if raw is None else str(raw)
    converter = {"int": int, "float": float}.get(str(kind), str)
    try:
        return converter(raw)
    except (TypeError, ValueError):
        raise ConfigError(
            f"{name}: expected a {converter.__name__}, got {raw!r}", field=name
        ) from None


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    environ = os.environ if environ is None else environ
    overrides = overrides or {}
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Settings):
        if overrides.get(f.name) is not None:
            values[f.name] = _convert(f.name, f.type, overrides[f.name])
        elif Settings.env_name(f.name) in environ:
            values[f.name] = _convert(
                Settings.env_name(f.name), f.type, environ[Settings.env_name(f.name)]
            )
    settings = Settings(**values)
    _check(settings)
    return settings


def _check(settings: Settings) -> None:
    if not 0 <= settings.port <= 65535:
        raise ConfigError(f"port: expected 0-65535, got {settings.port}", field="port")
    if settings.workers < 1:
        raise ConfigError(f"workers: expected at least 1, got {settings.workers}", field="workers")
    if settings.max_body < 1:
        raise ConfigError("max_body: expected a positive number of bytes", field="max_body")
    if settings.log_level.lower() not in ("debug", "info", "warning", "error", "critical"):
        raise ConfigError(
            f"log_level: expected debug, info, warning, error or critical, "
            f"got {settings.log_level!r}",
            field="log_level",
        )
