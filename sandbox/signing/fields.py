"""Readers for one field of a plain-dict profile: each returns a typed value or raises ConfigError.

Every error names the dotted field path (``verification.algorithm``) and what was expected,
because these dicts come straight from a YAML config file or a JSON API body.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sandbox.errors import ConfigError

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

MASK = "****"


@dataclass(frozen=True)
class Secret:
    """A shared secret and where it came from; ``repr`` never shows the value."""

    value: str = field(repr=False)
    env: str | None = None

    def to_config(self, *, reveal: bool) -> str | dict[str, str]:
        """The config form: an ``{"env": NAME}`` reference stays one; inline values are masked."""
        if self.env is not None:
            return {"env": self.env}
        return self.value if reveal else MASK


def fail(where: str, expected: str) -> ConfigError:
    return ConfigError(f"{where}: expected {expected}", field=where)


def describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def read_str(data: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not value:
        raise fail(f"{where}.{key}", f"a non-empty string, got {describe(value)}")
    return value


def read_optional_str(data: Mapping[str, Any], key: str, where: str) -> str | None:
    if data.get(key) is None:
        return None
    return read_str(data, key, where)


def read_choice(
    data: Mapping[str, Any], key: str, where: str, choices: Sequence[str], default: str
) -> str:
    value = data.get(key, default)
    if value not in choices:
        raise fail(f"{where}.{key}", f"one of {', '.join(choices)}")
    return str(value)


def read_bool(data: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise fail(f"{where}.{key}", f"true or false, got {describe(value)}")
    return value


def read_int(data: Mapping[str, Any], key: str, where: str, default: int, *, minimum: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise fail(f"{where}.{key}", f"an integer >= {minimum}, got {describe(value)}")
    return value


def read_str_list(data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise fail(f"{where}.{key}", f"a list of strings, got {describe(value)}")
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item:
            raise fail(f"{where}.{key}[{index}]", f"a non-empty string, got {describe(item)}")
    return tuple(value)


def read_cidrs(data: Mapping[str, Any], key: str, where: str) -> tuple[IPNetwork, ...]:
    networks = []
    for index, text in enumerate(read_str_list(data, key, where)):
        try:
            networks.append(ipaddress.ip_network(text.strip(), strict=False))
        except ValueError:
            raise fail(
                f"{where}.{key}[{index}]", f"an IPv4 or IPv6 address or CIDR, got {describe(text)}"
            ) from None
    return tuple(networks)


def read_secret(data: Mapping[str, Any], key: str, where: str, env: Mapping[str, str]) -> Secret:
    """A secret given inline or as ``{"env": "VAR_NAME"}``, resolved from ``env``."""
    value = data.get(key)
    path = f"{where}.{key}"
    if isinstance(value, str) and value:
        return Secret(value)
    if isinstance(value, Mapping) and set(value) == {"env"}:
        name = value["env"]
        if not isinstance(name, str) or not name:
            raise fail(f"{path}.env", "the name of an environment variable")
        resolved = env.get(name)
        if not resolved:
            raise ConfigError(f"{path}: environment variable {name} is not set", field=path)
        return Secret(resolved, env=name)
    raise fail(path, 'a non-empty string or {"env": "VAR_NAME"}')


def reject_unknown(data: Mapping[str, Any], where: str, allowed: Sequence[str]) -> None:
    for key in data:
        if key not in allowed:
            raise ConfigError(
                f"{where}.{key}: unknown field (expected one of {', '.join(sorted(allowed))})",
                field=f"{where}.{key}",
            )
