"""The sandbox configuration file (``--config sandbox.yaml``): YAML or JSON, validated.

It holds channels (their answer settings, their verification profile with secrets inline or
as ``{"env": "NAME"}`` resolved from the environment when the file is loaded, and where they
forward), and the live loop's ``app``, ``networks``, ``campaigns`` and ``mmp`` settings in
the scenario schema's shapes. Errors name the file, the line and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sandbox.capture.channels import parse_answer
from sandbox.capture.forwarding import parse_forward
from sandbox.capture.trust import parse_verification
from sandbox.docfile import Document, read_document, validate_document
from sandbox.errors import ConfigError, DocumentError, SandboxError
from sandbox.live.config import build_model, config_properties, live_defs, merge_campaigns
from sandbox.live.stored import apply_config
from sandbox.names import NAME_PATTERN
from sandbox.store import Store

LIVE_KEYS = ("app", "networks", "campaigns", "mmp")
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
            "propertyNames": {"pattern": NAME_PATTERN},
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "answer": ANSWER_SCHEMA,
                    # checked field by field by the signing core, which names the field
                    "verification": {"type": ["object", "string", "null"]},
                    "forward": {"type": ["object", "null"], "description": (
                        "Tee mode: {url, timeout_ms}; each capture is forwarded there and "
                        "the upstream answer stored on it.")},
                },
            },
        },
        # the live loop (click tracker, ingest): the scenario schema's shapes
        **config_properties(),
    },
    "$defs": live_defs(),
}


def load_config_file(path: str | Path) -> dict[str, Any]:
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"config file {file} does not exist", field="config")
    try:
        document = read_document(file)
        validate_document(document, CONFIG_SCHEMA)
    except DocumentError as exc:
        raise ConfigError("\n".join(exc.problems), field="config") from None
    config: dict[str, Any] = document.data or {}
    for name, channel in (config.get("channels") or {}).items():
        try:
            parse_answer(channel.get("answer", {}))
            parse_verification(channel.get("verification"),
                               where=f"channels.{name}.verification")
            parse_forward(channel.get("forward"))
        except ConfigError as exc:
            raise ConfigError(f"{file}: {exc.message}", field=exc.field) from None
        except SandboxError as exc:
            raise ConfigError(f"{file}: channels.{name}.{exc.message}") from None
    _check_live(document)
    return config


def _check_live(document: Document) -> None:
    """Build the live model (networks, campaigns) so meaning errors name file and line."""
    live = {k: v for k, v in (document.data or {}).items() if k in LIVE_KEYS}
    if not live:
        return
    live_doc = Document(document.path, live, document.lines)
    problems = merge_campaigns(live_doc)
    if problems:
        raise ConfigError("\n".join(problems), field="config")
    build_model(live_doc)
    document.data.update(live_doc.data)  # campaigns now sit inside their networks
    document.data.pop("campaigns", None)


def apply_config_file(store: Store, path: str | Path | None) -> None:
    """Store the channel settings a config file declares (each restarts its counters)."""
    if not path:
        return
    config = load_config_file(path)
    for name, channel in (config.get("channels") or {}).items():
        store.channels.put(name, channel.get("answer", {}), channel.get("verification"),
                           channel.get("forward"))
    apply_config(store, config)
