"""Canonical strings for HMAC profiles: a small template language, digests and encodings.

Every canonical form is a template: ``raw_body`` is ``{body}`` and ``sorted_query`` is
``{sorted_query}``. Fields:

- ``{method}`` (upper case), ``{path}`` (raw, as on the wire), ``{body}`` (raw bytes)
- ``{query}``: the raw query string as sent, without the signature parameter
- ``{sorted_query}``: decoded pairs sorted by name then value, re-encoded per RFC 3986
- ``{query.NAME}``: the decoded value of the first ``NAME`` parameter (empty when absent)
- ``{header.NAME}``: the first value of header ``NAME`` (empty when absent)

``{{`` and ``}}`` stand for literal braces (the syntax is ``sandbox/braces.py``'s, shared
with postback macros). The template is used literally: a YAML or JSON
``"\\n"`` is already a newline by the time it gets here.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal

from sandbox.braces import TemplateError, split_braces
from sandbox.signing.wire import RequestView, encode_pairs, header_value, query_pairs

ALGORITHMS = ("sha256", "sha1", "md5")
ENCODINGS = ("hex", "base64")
# Also tried when explaining a mismatch, never accepted as valid.
OTHER_ALGORITHMS = ("sha512", "sha384", "sha224")
OTHER_ENCODINGS = ("base64url",)
CANONICAL_FORMS = ("raw_body", "sorted_query", "template")
PRESETS = {"raw_body": "{body}", "sorted_query": "{sorted_query}"}

PLAIN_FIELDS = ("method", "path", "query", "sorted_query", "body")
PREFIXED_FIELDS = ("query.", "header.")

QueryStyle = Literal["raw", "received", "sorted"]


@dataclass(frozen=True)
class Segment:
    """Literal text when ``field`` is None, else one field to substitute."""

    text: str = ""
    field: str | None = None


def parse_template(template: str) -> tuple[Segment, ...]:
    """The template's literal text and fields (``sandbox/braces.py`` reads the syntax)."""
    return tuple(Segment(part) if isinstance(part, str)
                 else Segment(field=_check_field(part.name, part.position))
                 for part in split_braces(template))


def _check_field(name: str, position: int) -> str:
    if name in PLAIN_FIELDS:
        return name
    for prefix in PREFIXED_FIELDS:
        if name.startswith(prefix) and len(name) > len(prefix) and "{" not in name:
            return name
    known = ", ".join([*PLAIN_FIELDS, "query.NAME", "header.NAME"])
    raise TemplateError(f"unknown field {{{name}}} at character {position} (known: {known})")


def render(
    segments: tuple[Segment, ...], view: RequestView, *, query_style: QueryStyle | None = None
) -> bytes:
    """The canonical bytes. ``query_style`` forces how ``{query}``/``{sorted_query}`` render,
    which is how a mismatch explanation tries other parameter orders."""
    parts: list[bytes] = []
    for segment in segments:
        if segment.field is None:
            parts.append(utf8(segment.text))
        elif segment.field == "body":
            parts.append(view.body)
        else:
            parts.append(utf8(_field_text(segment.field, view, query_style)))
    return b"".join(parts)


def uses_query(segments: tuple[Segment, ...]) -> bool:
    return any(segment.field in ("query", "sorted_query") for segment in segments)


def uses_body(segments: tuple[Segment, ...]) -> bool:
    return any(segment.field == "body" for segment in segments)


def _field_text(name: str, view: RequestView, query_style: QueryStyle | None) -> str:
    if name == "method":
        return view.method
    if name == "path":
        return view.path
    if name in ("query", "sorted_query"):
        style = query_style or ("raw" if name == "query" else "sorted")
        return query_text(view.raw_query, style)
    if name.startswith("query."):
        wanted = name.removeprefix("query.")
        return next((value for key, value in query_pairs(view.raw_query) if key == wanted), "")
    return header_value(view.headers, name.removeprefix("header.")) or ""


def query_text(raw_query: str, style: QueryStyle) -> str:
    if style == "raw":
        return raw_query
    pairs = query_pairs(raw_query)
    return encode_pairs(sorted(pairs) if style == "sorted" else pairs)


@dataclass(frozen=True)
class MacScheme:
    """How the signature was expected to be made."""

    key: bytes
    algorithm: str
    encoding: str
    prefix: str = ""

    def signature(self, message: bytes) -> str:
        return self.prefix + encode(digest(self.key, message, self.algorithm), self.encoding)

    def accepts(self, received: str, message: bytes) -> bool:
        """Constant-time check of one received signature (hex compared case-insensitively)."""
        expected = self.signature(message)
        if self.encoding == "hex":
            return same(expected.lower(), received.strip().lower())
        return same(expected, received.strip())


def digest(key: bytes, message: bytes, algorithm: str) -> bytes:
    return hmac.new(key, message, getattr(hashlib, algorithm)).digest()


def encode(raw: bytes, encoding: str) -> str:
    if encoding == "hex":
        return raw.hex()
    if encoding == "base64url":
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return base64.b64encode(raw).decode()


def decodings(signature: str) -> list[tuple[str, bytes]]:
    """Every way ``signature`` decodes: ``(encoding, raw bytes)`` for hex, base64, base64url."""
    found: list[tuple[str, bytes]] = []
    text = signature.strip()
    with contextlib.suppress(ValueError):
        found.append(("hex", bytes.fromhex(text)))
    for name, alphabet in (("base64", b"+/"), ("base64url", b"-_")):
        try:
            padded = text + "=" * (-len(text) % 4)
            found.append((name, base64.b64decode(padded, altchars=alphabet, validate=True)))
        except (binascii.Error, ValueError):
            pass
    return found


def same(left: str | bytes, right: str | bytes) -> bool:
    """Constant-time equality for text or bytes (text compared as UTF-8)."""
    left_bytes = utf8(left) if isinstance(left, str) else left
    right_bytes = utf8(right) if isinstance(right, str) else right
    return hmac.compare_digest(left_bytes, right_bytes)


def utf8(text: str) -> bytes:
    """UTF-8 that never raises: lone surrogates (never from a real request) pass through."""
    return text.encode("utf-8", "surrogatepass")
