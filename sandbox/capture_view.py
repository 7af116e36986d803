"""A stored capture row becomes the JSON view every face shows and the matcher reads."""

from __future__ import annotations

import base64
import json
import sqlite3
from typing import Any

from sandbox.channels import default_body
from sandbox.postback_keys import KEY_NAMES


def body_fields(raw: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 text where the bytes are valid UTF-8, else base64."""
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii"), "base64"


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def capture_view(row: sqlite3.Row) -> dict[str, Any]:
    raw = bytes(row["body"])
    decoded = row["decoded_body"]
    body, encoding = body_fields(raw)
    matched = bytes(decoded) if decoded is not None else raw
    headers = _loads(row["response_headers_json"]) or {}
    response_body = row["response_body"]
    if response_body is None:
        response_body = default_body(int(row["id"]))
        headers = {"Content-Type": "application/json", **headers}
    return {
        "id": row["id"],
        "channel": row["channel"],
        "method": row["method"],
        "path": row["path"],
        "query_string": row["query_string"],
        "query": json.loads(row["query_json"]),
        "headers": json.loads(row["headers_json"]),
        "content_type": row["content_type"],
        "content_encoding": row["content_encoding"],
        "body": body,
        "body_encoding": encoding,
        "body_text": matched.decode("utf-8", "replace"),
        "form": _loads(row["form_json"]),
        "json": _loads(row["json_body"]),
        "body_note": row["body_note"],
        "body_size": row["body_size"],
        "remote_addr": row["remote_addr"],
        "received_at": row["received_at"],
        "keys": {name: row[name] for name in KEY_NAMES},
        "verdict": row["verdict"],
        "verdict_detail": _loads(row["verdict_detail_json"]),
        "lint": _loads(row["lint_json"]) or [],
        "refused": row["refused"],
        "response": {"status": row["response_status"], "headers": headers, "body": response_body},
    }
