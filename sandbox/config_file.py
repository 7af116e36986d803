"""The sandbox configuration file (``--config sandbox.yaml``): YAML or JSON, validated.

Today it holds channels: their answer settings and their verification profile (secrets inline
or as ``{"env": "NAME"}``, resolved from the environment when the file is loaded). Errors name
the file, the line and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sandbox.channels import parse_answer
from sandbox.docfile import load_document
from sandbox.errors import ConfigError, DocumentError, SandboxError
from sandbox.store import Store
from sandbox.trust import parse_verification

ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "status": {"type": "integer", "minimum": 100, "maximum": 599},
        "headers": {"type": "object", "additionalProperties": {"type": "string"}},
        "body": {},
        "delay_ms": {"type": "integer", "minimum": 0, "maximum": 60000},
        "fail_first": {"type": "integer", "minimum": 0},
        "fail_status": {"type": "integer", "minimum": 100, "maximum": 599},
        "fail_fraction": {"type": "number", "minimum": 0, "maximum": 1},
        "seed": {"type": "integer", "minimum": 0},
    },
}

CONFIG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "postback-sandbox configuration",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "channels": {
            "type": "object",
            "propertyNames": {"pattern": "^[A-Za-z0-9._-]{1,64}$"},
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "answer": ANSWER_SCHEMA,
                    # checked field by field by the signing core, which names the field
                    "verification": {"type": ["object", "string", "null"]},
                },
            },
        },
    },
}


def load_config_file(path: str | Path) -> dict[str, Any]:
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"config file {file} does not exist", field="config")
    try:
        document = load_document(file, CONFIG_SCHEMA)
    except DocumentError as exc:
        raise ConfigError("\n".join(exc.problems), field="config") from None
    config: dict[str, Any] = document or {}
    for name, channel in (config.get("channels") or {}).items():
        try:
            parse_answer(channel.get("answer", {}))
            parse_verification(channel.get("verification"),
                               where=f"channels.{name}.verification")
        except ConfigError as exc:
            raise ConfigError(f"{file}: {exc.message}", field=exc.field) from None
        except SandboxError as exc:
            raise ConfigError(f"{file}: channels.{name}.{exc.message}") from None
    return config


def apply_config_file(store: Store, path: str | Path | None) -> None:
    """Store the channel settings a config file declares (each restarts its counters)."""
    if not path:
        return
    config = load_config_file(path)
    for name, channel in (config.get("channels") or {}).items():
        store.channels.put(name, channel.get("answer", {}), channel.get("verification"))
