"""Presentation helpers for the inspector's pages: hex dumps, curl lines, sizes, durations. Pure."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sandbox.capture.replay import DROPPED_HEADERS, raw_body

HEX_LIMIT = 64 * 1024  # bytes shown as hex; the rest is a download away
TEXT_LIMIT = 256 * 1024  # characters of text shown
BYTES_PER_LINE = 16


def hexdump(raw: bytes, *, limit: int = HEX_LIMIT) -> list[dict[str, str]]:
    """[{"offset", "hex", "text"}], 16 bytes a line; non-printable bytes show as '.'."""
    lines = []
    for start in range(0, min(len(raw), limit), BYTES_PER_LINE):
        chunk = raw[start : start + BYTES_PER_LINE]
        hex_part = " ".join(f"{byte:02x}" for byte in chunk).ljust(BYTES_PER_LINE * 3 - 1)
        text = "".join(chr(byte) if 32 <= byte < 127 else "." for byte in chunk)
        lines.append({"offset": f"{start:08x}", "hex": hex_part, "text": text})
    return lines


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


def has_control_characters(text: str) -> bool:
    """Characters a terminal or a shell argument would mangle (NUL, ESC, ...); tab, newline
    and carriage return are ordinary text."""
    return any((ord(c) < 32 and c not in "\t\n\r") or ord(c) == 127 for c in text)


def shows_as_bytes(view: Mapping[str, Any]) -> bool:
    """A body that is not UTF-8, or holds control characters, is shown and sent as bytes."""
    return view.get("body_encoding") == "base64" or has_control_characters(
        str(view.get("body") or ""))


def curl_command(view: Mapping[str, Any], base_url: str) -> str:
    """A curl line that sends the capture again to the same path on ``base_url``.

    ``--globoff``: curl would otherwise read ``{click_id}`` or ``[1]`` in a URL as its own
    patterns. A body that is not plain text, or is cut short in the view, is read from a file,
    fetched first from the body endpoint.
    """
    base = base_url.rstrip("/")
    url = base + str(view["path"])
    if view.get("query_string"):
        url += "?" + str(view["query_string"])
    parts = ["curl", "--globoff", "-X", str(view["method"]), url]
    for name, value in view.get("headers") or []:
        if str(name).lower() not in DROPPED_HEADERS:
            parts += ["-H", f"{name}: {value}"]
    prefix = ""
    body = raw_body(view)
    whole = "body" not in view.get("truncated_fields", ())  # else the view holds a prefix
    if body and (shows_as_bytes(view) or not whole):
        file_name = f"postback-{view['id']}.body"
        prefix = shlex.join(
            ["curl", "-s", "-o", file_name, f"{base}/api/postbacks/{view['id']}/body"]
        ) + " && \\\n  "
        parts += ["--data-binary", f"@{file_name}"]
    elif body:  # --data-raw: a body starting with @ is text, not a file name
        parts += ["--data-raw", body.decode("utf-8")]
    return prefix + " ".join(shlex.quote(part) for part in parts)


def body_display(view: Mapping[str, Any]) -> dict[str, Any]:
    """How the raw body is shown: text (cut at TEXT_LIMIT) or a hex dump (cut at HEX_LIMIT)."""
    raw = raw_body(view)
    cut = "body" in view.get("truncated_fields", ())  # the view itself is cut short
    size = int(view.get("body_size") or 0) if cut else len(raw)
    if shows_as_bytes(view):
        return {
            "kind": "hex", "lines": hexdump(raw), "truncated": cut or len(raw) > HEX_LIMIT,
            "size": size,
        }
    text = str(view.get("body") or "")
    return {
        "kind": "text", "text": text[:TEXT_LIMIT], "truncated": cut or len(text) > TEXT_LIMIT,
        "size": size,
    }


def duration_text(started_at: str | None, finished_at: str | None) -> str:
    """"4.2 s", "3 min 12 s", "1 h 5 min" between two ISO-8601 UTC times; "" while running."""
    if not started_at or not finished_at:
        return ""
    seconds = (datetime.fromisoformat(finished_at) - datetime.fromisoformat(started_at))
    total = max(seconds.total_seconds(), 0.0)
    if total < 60:
        return f"{total:.1f} s"
    minutes, secs = divmod(int(total), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    return f"{minutes // 60} h {minutes % 60} min"
