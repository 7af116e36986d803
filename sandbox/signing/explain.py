"""Why an HMAC signature did not verify: try the usual integration mistakes, one at a time.

Each likely cause is checked by recomputing the signature with one thing changed (algorithm,
encoding, prefix, secret form, JSON serialisation of the body, query parameter order). A cause
that reproduces the received signature is ``confirmed``; when none does, the remaining
explanation is a different secret, reported unconfirmed.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from sandbox.signing.canonical import (
    ALGORITHMS,
    OTHER_ALGORITHMS,
    MacScheme,
    QueryStyle,
    decodings,
    digest,
    same,
)
from sandbox.signing.webhooks import WEBHOOK_SECRET_PREFIX, webhook_key
from sandbox.signing.wire import RequestView

SHOWN_CHARS = 2000
MAX_VARIANT_BODY = 32 * 1024  # about 20 ms of re-dumping at this size
_LABEL_PREFIX = re.compile(r"^[A-Za-z0-9-]{1,12}[=,](?=.)")

Build = Callable[[RequestView, QueryStyle | None], bytes]


def show(data: bytes) -> str:
    text = data.decode("utf-8", "backslashreplace")
    if len(text) <= SHOWN_CHARS:
        return text
    return f"{text[:SHOWN_CHARS]}... ({len(data)} bytes in all)"


def cause(name: str, detail: str, *, confirmed: bool = True, **extra: Any) -> dict[str, Any]:
    return {"cause": name, "confirmed": confirmed, "detail": detail, **extra}


def likely_causes(
    scheme: MacScheme,
    view: RequestView,
    build: Build,
    received: list[str],
    key_variants: Iterable[tuple[str, bytes]],
    *,
    query_sensitive: bool,
) -> list[dict[str, Any]]:
    """Every confirmed cause, or a single unconfirmed ``wrong_secret``."""
    expected_message = build(view, None)
    digests = _received_digests(received, scheme.prefix)

    def reproduces(key: bytes, message: bytes, algorithm: str) -> bool:
        computed = digest(key, message, algorithm)
        return any(same(computed, raw) for _, raw in digests)

    found = _format_causes(scheme, expected_message, received, digests)
    found += [
        cause(
            "wrong_algorithm",
            f"the signature is HMAC-{algorithm.upper()}, "
            f"the profile expects HMAC-{scheme.algorithm.upper()}",
            algorithm=algorithm,
        )
        for algorithm in (*ALGORITHMS, *OTHER_ALGORITHMS)
        if algorithm != scheme.algorithm and reproduces(scheme.key, expected_message, algorithm)
    ]
    found += [
        cause("secret_prefix", f"the sender used the secret {description}")
        for description, key in key_variants
        if reproduces(key, expected_message, scheme.algorithm)
    ]
    tried = {expected_message}
    for name, detail, message in _message_variants(view, build, query_sensitive=query_sensitive):
        if message not in tried and reproduces(scheme.key, message, scheme.algorithm):
            found.append(cause(name, detail, sender_canonical=show(message)))
        tried.add(message)
    if found:
        return found
    return [
        cause(
            "wrong_secret",
            "algorithm, encoding, body serialisation and parameter order were all tried; "
            "the sender most likely signs with a different secret than the one configured here",
            confirmed=False,
        )
    ]


def _received_digests(received: list[str], prefix: str) -> list[tuple[str, bytes]]:
    found = []
    for text in received:
        bare = text.strip()
        bare = bare.removeprefix(prefix) if prefix else bare
        for candidate in {bare, _LABEL_PREFIX.sub("", bare)}:
            found.extend(decodings(candidate))
    return found


def _format_causes(
    scheme: MacScheme, message: bytes, received: list[str], digests: list[tuple[str, bytes]]
) -> list[dict[str, Any]]:
    expected = digest(scheme.key, message, scheme.algorithm)
    encodings = {name for name, raw in digests if same(raw, expected)}
    if not encodings:
        return []
    if scheme.encoding not in encodings:
        used = sorted(encodings)[0]
        return [
            cause(
                "wrong_encoding",
                f"the signature is {used}-encoded, the profile expects {scheme.encoding}",
                encoding=used,
            )
        ]
    shown = ", ".join(repr(text) for text in received)
    return [
        cause(
            "signature_prefix",
            f"the digest is right but the prefix is not: expected "
            f"{scheme.prefix!r} before it, received {shown}",
        )
    ]


def _message_variants(
    view: RequestView, build: Build, *, query_sensitive: bool
) -> list[tuple[str, str, bytes]]:
    variants = []
    for body in json_reserialisations(view.body):
        variants.append(
            (
                "body_reserialised",
                "the sender signed the JSON body serialised differently (whitespace, key order or "
                "escaping) from the bytes it sent: sign the exact bytes you send",
                build(replace(view, body=body), None),
            )
        )
    if query_sensitive:
        styles: tuple[QueryStyle, ...] = ("sorted", "received", "raw")
        for style in styles:
            detail = {
                "sorted": "the sender signed the parameters sorted by name",
                "received": "the sender signed the parameters in the order sent, re-encoded",
                "raw": "the sender signed the raw query string in the order sent",
            }[style]
            variants.append(("query_order", detail, build(view, style)))
    return variants


# (separators, ensure_ascii, indent) of the serialisers senders use: Python's default and
# compact forms, JavaScript's JSON.stringify plain and pretty; each also with sorted keys.
_DUMP_STYLES: tuple[tuple[tuple[str, str], bool, int | None], ...] = (
    ((", ", ": "), True, None),
    ((", ", ": "), False, None),
    ((",", ":"), True, None),
    ((",", ":"), False, None),
    ((",", ": "), True, 2),
    ((",", ": "), False, 2),
)


def json_reserialisations(body: bytes) -> list[bytes]:
    """The body re-dumped the ways common JSON libraries do (and with its trailing newline
    toggled), excluding the body itself. Skipped past MAX_VARIANT_BODY to bound the cost."""
    if not body or len(body) > MAX_VARIANT_BODY or body.lstrip()[:1] not in (b"{", b"["):
        return []
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return []
    toggled = body[:-1] if body.endswith(b"\n") else body + b"\n"
    found: list[bytes] = [toggled]
    for separators, ensure_ascii, indent in _DUMP_STYLES:
        for sort_keys in (False, True):
            text = json.dumps(
                document,
                separators=separators,
                sort_keys=sort_keys,
                ensure_ascii=ensure_ascii,
                indent=indent,
            )
            if text.encode() != body and text.encode() not in found:
                found.append(text.encode())
    return found


def secret_variants(secret: str, *, webhook: bool) -> list[tuple[str, bytes]]:
    """Forms of the configured secret a sender commonly uses by mistake, as HMAC keys."""
    bare = secret.removeprefix(WEBHOOK_SECRET_PREFIX)
    if webhook:
        configured = webhook_key(secret)
        variants = [
            ("as text including the whsec_ prefix, not base64-decoded", secret.encode()),
            ("as text without the whsec_ prefix, not base64-decoded", bare.encode()),
        ]
    else:
        configured = secret.encode()
        variants = [("with surrounding whitespace removed", secret.strip().encode())]
        if secret.startswith(WEBHOOK_SECRET_PREFIX):
            variants += [("without the whsec_ prefix", bare.encode())]
            variants += _decoded("base64-decoded without the whsec_ prefix", bare)
        else:
            variants += [("with an extra whsec_ prefix", f"whsec_{secret}".encode())]
            variants += _decoded("base64-decoded", secret)
    seen = {configured}
    unique = []
    for description, key in variants:
        if key and key not in seen:
            seen.add(key)
            unique.append((description, key))
    return unique


def _decoded(description: str, text: str) -> list[tuple[str, bytes]]:
    try:
        return [(description, base64.b64decode(text, validate=True))]
    except (binascii.Error, ValueError):
        return []
