"""The server's settings: one place for every option, its SANDBOX_* variable and its default.

Precedence: explicit values (CLI flags, a test's mapping) over SANDBOX_* environment variables
over defaults. The CLI reads the same table, so a flag and its variable cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.db_url import database
from sandbox.errors import ConfigError

DEFAULT_PORT = 8377
DEFAULT_DB = "./postback-sandbox.db"
# The HTTP server's own fixed limits (granian 2.8.9: hyper and the http crate; not configurable).
# Past them it answers itself, before the sandbox sees the request, so nothing is recorded; the
# sandbox's limits must stay below them to be the ones that trip.
SERVER_MAX_HEADERS = 100  # header lines, Host included: 431 from the server above
SERVER_MAX_URI = 65_534  # bytes of the request target: 414 from the server above


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    db: str = DEFAULT_DB
    config: str | None = None
    log_level: str = "info"
    workers: int = 2
    max_body: int = 1024 * 1024
    max_decoded_body: int = 1024 * 1024  # inflated bytes kept: no more than a plain body
    max_wait: float = 300.0  # the longest `within`/`during`/long-poll a client may ask for
    max_headers: int = 64  # header lines per request (431 above); at most SERVER_MAX_HEADERS - 1
    max_header_bytes: int = 32 * 1024  # names + values of all headers (431 above)
    max_url: int = 8 * 1024  # path + query string (414 above)
    max_json_depth: int = 64  # deeper JSON bodies are kept raw only
    max_json_elements: int = 10_000  # JSON bodies with more values are kept raw only
    header_timeout: float = 10.0  # seconds a client may take to send its headers
    body_timeout: float = 10.0  # seconds a client may take to send its whole body (408 after)
    token: str | None = None  # admin token for /api and /ui; generated when exposed
    max_postbacks: int = 0  # retention: keep the newest N captures (0 keeps all)
    max_age: str | None = None  # retention: drop captures older than this, e.g. 7d, 12h
    tls: bool = False  # serve HTTPS with a self-signed certificate kept next to the database

    @property
    def max_age_seconds(self) -> float | None:
        return None if self.max_age is None else parse_duration(self.max_age, "max_age")

    @property
    def requires_token(self) -> bool:
        """The admin API and inspector need a token when bound beyond 127.0.0.1, or when one
        was given explicitly."""
        return self.token is not None or not is_default_loopback(self.host)

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


LOCAL_HOSTS = ("127.0.0.1", "::1", "localhost")
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def is_default_loopback(host: str) -> bool:
    return host.strip("[]").lower() in LOCAL_HOSTS


def parse_duration(text: str, name: str) -> float:
    """Seconds in ``90``, ``90s``, ``30m``, ``12h``, ``7d`` or ``2w``."""
    match = _DURATION.fullmatch(text)
    if not match or float(match.group(1)) <= 0:
        raise ConfigError(
            f"{name}: expected a positive duration such as 90s, 30m, 12h or 7d, got {text!r}",
            field=name,
        )
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def with_admin_token(settings: Settings) -> tuple[Settings, bool]:
    """(settings, generated): a random admin token is made when one is needed and not given."""
    if not settings.requires_token or settings.token:
        return settings, False
    return dataclasses.replace(settings, token=secrets.token_urlsafe(24)), True


def _convert(name: str, kind: Any, raw: Any) -> Any:
    if raw is None or kind in (str, "str", "str | None"):
        return raw if raw is None else str(raw)
    if kind in (bool, "bool"):
        return _boolean(name, raw)
    converter = {"int": int, "float": float}.get(str(kind), str)
    try:
        return converter(raw)
    except (TypeError, ValueError):
        raise ConfigError(
            f"{name}: expected a {converter.__name__}, got {raw!r}", field=name
        ) from None


def _boolean(name: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name}: expected true or false, got {raw!r}", field=name)


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
    return dataclasses.replace(settings, db=database(settings.db))


def _check(settings: Settings) -> None:
    if not 0 <= settings.port <= 65535:
        raise ConfigError(f"port: expected 0-65535, got {settings.port}", field="port")
    if settings.workers < 1:
        raise ConfigError(f"workers: expected at least 1, got {settings.workers}", field="workers")
    if settings.max_body < 1:
        raise ConfigError("max_body: expected a positive number of bytes", field="max_body")
    for name in ("max_headers", "max_header_bytes", "max_url", "max_json_depth",
                 "max_json_elements", "max_decoded_body"):
        if getattr(settings, name) < 1:
            raise ConfigError(f"{name}: expected a positive number", field=name)
    if not 1 <= settings.header_timeout <= 60:
        raise ConfigError("header_timeout: expected 1 to 60 seconds", field="header_timeout")
    if not 1 <= settings.body_timeout <= 600:
        raise ConfigError("body_timeout: expected 1 to 600 seconds", field="body_timeout")
    _check_server_bounds(settings)
    if settings.max_postbacks < 0:
        raise ConfigError("max_postbacks: expected 0 (keep all) or more", field="max_postbacks")
    if settings.token is not None and len(settings.token) < 8:
        raise ConfigError("token: expected at least 8 characters", field="token")
    settings.max_age_seconds  # noqa: B018 - validates the duration
    if settings.log_level.lower() not in ("debug", "info", "warning", "error", "critical"):
        raise ConfigError(
            f"log_level: expected debug, info, warning, error or critical, "
            f"got {settings.log_level!r}",
            field="log_level",
        )


def _check_server_bounds(settings: Settings) -> None:
    """A sandbox limit at or above the server's own would never trip: refuse it."""
    if settings.max_headers >= SERVER_MAX_HEADERS:
        raise ConfigError(
            f"max_headers: expected at most {SERVER_MAX_HEADERS - 1}; the HTTP server itself "
            f"refuses requests of more than {SERVER_MAX_HEADERS} header lines, unrecorded",
            field="max_headers")
    if settings.max_url > SERVER_MAX_URI - 1_000:
        raise ConfigError(
            f"max_url: expected at most {SERVER_MAX_URI - 1_000}; the HTTP server itself "
            f"refuses request targets over {SERVER_MAX_URI} bytes, unrecorded", field="max_url")
