"""A request becomes a capture record: raw parts kept, a field view parsed, keys extracted.

Pure: data in, data out. The receiver hands over what the server delivered; the store writes
what this returns.
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from sandbox.capture.keys import extract_keys
from sandbox.capture.lint import lint_capture
from sandbox.compact_json import compact_json
from sandbox.names import NAME
from sandbox.store.records import CaptureRecord

CHANNEL_PATTERN = NAME  # the one name rule (sandbox/names.py)
DEFAULT_CHANNEL = "default"
MAX_JSON_DEPTH = 64
MAX_JSON_ELEMENTS = 10_000  # a few ms of parsing and walking at most
MAX_PARSED_BODY = 1024 * 1024
_JSON_START = re.compile(rb"\s*[{\[]")


@dataclass(frozen=True)
class InboundRequest:
    """What the server delivered, before any interpretation."""

    method: str
    path: str
    query_string: str
    headers: list[tuple[str, str]]
    body: bytes
    remote_addr: str | None
    received_at: str
    body_size: int  # the full size; larger than len(body) when the body was refused
    channel: str = DEFAULT_CHANNEL

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None


def parse_query(query_string: str) -> dict[str, list[str]]:
    """``parse_qs(query_string, keep_blank_values=True)``, without its general-purpose
    overhead on the capture path (a hypothesis test holds the two equal)."""
    parsed: dict[str, list[str]] = {}
    for pair in query_string.split("&") if query_string else ():
        if not pair:
            continue
        name, _, value = pair.partition("=")
        if "+" in name:
            name = name.replace("+", " ")
        if "%" in name:
            name = unquote(name)
        if "+" in value:
            value = value.replace("+", " ")
        if "%" in value:
            value = unquote(value)
        values = parsed.get(name)
        if values is None:
            parsed[name] = [value]
        else:
            values.append(value)
    return parsed


def _decode_content(body: bytes, encoding: str, limit: int) -> tuple[bytes | None, str | None]:
    """Undo gzip/deflate, refusing to expand past ``limit`` bytes (a zip bomb is not expanded)."""
    wbits = {"gzip": 31, "x-gzip": 31, "deflate": 15}.get(encoding)
    if wbits is None:
        return None, f"content-encoding {encoding!r} is not decoded"
    for bits in (wbits, -15) if encoding == "deflate" else (wbits,):  # raw deflate too
        try:
            inflater = zlib.decompressobj(bits)
            out = inflater.decompress(body, limit + 1)
        except zlib.error:
            continue
        if len(out) > limit or inflater.unconsumed_tail:
            return None, f"decoded body exceeds the limit of {limit} bytes; kept compressed"
        return out, None
    return None, f"body is not valid {encoding} data"


SCAN_WINDOW = 64 * 1024


def count_json_elements(text: str, stop: int) -> int:
    """An upper bound on the JSON values in ``text``, counted a window at a time and given up
    once past ``stop``: linear, C-speed, no parse.

    A non-empty array or object of n values holds n - 1 commas, so the values number one (the
    outermost) plus the commas plus the opening brackets, less the empty ``[]`` and ``{}``.
    Exact for compact JSON; whitespace inside an empty container and brackets or commas
    inside strings only make it larger (each ``[]`` inside a string also counts its ``[``).
    """
    count = 1
    for start in range(0, len(text), SCAN_WINDOW):
        end = start + SCAN_WINDOW
        count += text.count(",", start, end) + text.count("[", start, end)
        count += text.count("{", start, end) - text.count("[]", start, end)
        count -= text.count("{}", start, end)
        if count > stop:
            break
    return count


def _depth(value: Any, limit: int) -> int:
    """How deep ``value`` nests (a scalar in a list is one level below it), walked without
    recursion, containers only, and given up past ``limit``."""
    if not isinstance(value, dict | list):
        return 1
    stack = [(value, 1)]
    deepest = 1
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if children and level >= deepest:
            deepest = level + 1
            if deepest > limit:
                return deepest
        stack.extend([(child, level + 1) for child in children if isinstance(child, _NESTED)])
    return deepest


_NESTED = (dict, list)


@dataclass(frozen=True)
class ParseLimits:
    """What parsing one body may cost: the bytes, values and nesting it may walk."""

    max_bytes: int = MAX_PARSED_BODY
    max_elements: int = MAX_JSON_ELEMENTS
    max_depth: int = MAX_JSON_DEPTH


DEFAULT_PARSE_LIMITS = ParseLimits()


def _too_many_fields(text: str, limit: int) -> str | None:
    if text.count("&") >= limit:
        return f"not parsed: more than {limit} form fields"
    return None


def _parse_json(text: str, limits: ParseLimits) -> tuple[Any, str | None, str | None]:
    """(value, canonical json text, note) for a body that claims or looks like JSON."""
    # A text holds at most one value per character: short bodies need no count.
    too_many = len(text) > limits.max_elements and (
        count_json_elements(text, limits.max_elements) > limits.max_elements)
    if too_many:
        return None, None, f"not parsed: more than {limits.max_elements} JSON values"
    try:
        value = json.loads(text)
    except ValueError as exc:
        return None, None, f"invalid JSON: {exc}"
    except RecursionError:  # valid, but deeper than the parser's own stack allows
        return None, None, f"not parsed: deeper than {limits.max_depth} levels"
    # Nesting needs an opening bracket per level: most bodies cannot be too deep at all.
    could_be_deep = text.count("{") + text.count("[") + 1 > limits.max_depth
    if could_be_deep and _depth(value, limits.max_depth) > limits.max_depth:
        return None, None, f"not parsed: deeper than {limits.max_depth} levels"
    return value, compact_json(value), None


def _body_kind(mime: str, payload: bytes) -> str | None:
    """"form" or "json" for a body parsed as one, else None (kept as text only)."""
    if mime == "application/x-www-form-urlencoded":
        return "form"
    if "json" in mime:
        return "json"
    return "json" if not mime and _JSON_START.match(payload) else None


def raw_record(request: InboundRequest, refused: str | None = None) -> CaptureRecord:
    """The request as the request path commits it: raw parts and the answer's reasons only;
    ``sandbox/capture/derive.py`` fills in the rest from these same parts."""
    return CaptureRecord(
        channel=request.channel, method=request.method, path=request.path,
        query_string=request.query_string, query={}, headers=request.headers,
        body=request.body, received_at=request.received_at, body_size=request.body_size,
        remote_addr=request.remote_addr, content_type=None, refused=refused, derived=False,
    )


def build_record(
    request: InboundRequest, *, decoded_limit: int, refused: str | None = None,
    parse_limits: ParseLimits | None = None,
) -> CaptureRecord:
    """Interpret a request: parse query, form and JSON views, extract the keys, lint.

    ``parse_limits`` bounds the work: a body over them is stored raw with a note saying why.
    """
    limits = parse_limits or DEFAULT_PARSE_LIMITS
    content_type = request.header("Content-Type")
    content_encoding = (request.header("Content-Encoding") or "").strip().lower() or None
    record = CaptureRecord(
        channel=request.channel,
        method=request.method,
        path=request.path,
        query_string=request.query_string,
        query=parse_query(request.query_string),
        headers=request.headers,
        body=request.body,
        received_at=request.received_at,
        body_size=request.body_size,
        remote_addr=request.remote_addr,
        content_type=content_type,
        content_encoding=content_encoding,
        refused=refused,
    )
    payload = request.body
    if refused is None and content_encoding and content_encoding != "identity" and payload:
        decoded, record.body_note = _decode_content(payload, content_encoding, decoded_limit)
        record.decoded_body = decoded
        payload = decoded if decoded is not None else b""
    json_value: Any = None
    mime = (content_type or "").split(";")[0].strip().lower()
    kind = _body_kind(mime, payload) if payload and refused is None else None
    if kind is not None and len(payload) > limits.max_bytes:
        record.body_note = record.body_note or f"not parsed: larger than {limits.max_bytes} bytes"
    elif kind is not None:
        text = payload.decode("utf-8", "replace")
        if kind == "form":
            note = _too_many_fields(text, limits.max_elements)
            record.form = None if note else parse_query(text)
        else:
            json_value, record.json_text, note = _parse_json(text, limits)
        record.body_note = record.body_note or note
    record.keys = extract_keys(record.query, record.form, json_value)
    record.lint = lint_capture(record.query, record.form, json_value, record.keys)
    return record
