"""The one ``{name}`` template syntax, read here for postback macros
(``sandbox/scenarios/macros.py``) and the canonical strings of HMAC profiles
(``sandbox/signing/canonical.py``); each caller decides which names it knows.

Text is literal except ``{name}``, a field. ``{{`` and ``}}`` are literal braces, and a ``}``
on its own is literal text. A ``{`` that opens no field (never closed, or closed only after
another ``{``) is an error that says where.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sandbox.errors import SandboxError

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|\{")


class TemplateError(SandboxError):
    """A template that cannot be read; ``field`` is a path inside the template, if any."""

    code = "invalid_template"


@dataclass(frozen=True, slots=True)
class Field:
    """One ``{name}`` of a template; ``position`` is the character its ``{`` is at."""

    name: str
    position: int


def split_braces(source: str) -> tuple[str | Field, ...]:
    """The template as literal strings (never empty) and fields, in order."""
    parts: list[str | Field] = []
    literal: list[str] = []
    position = 0
    for match in _TOKEN.finditer(source):
        literal.append(source[position:match.start()])
        position = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            literal.append(token[0])
            continue
        if match.group(1) is None:
            raise TemplateError(f"'{{' at character {match.start()} opens no field (unclosed, "
                                "or another '{' before its '}'); write '{{' for a literal brace")
        text = "".join(literal)
        if text:
            parts.append(text)
        literal = []
        parts.append(Field(match.group(1), match.start()))
    literal.append(source[position:])
    tail = "".join(literal)
    if tail:
        parts.append(tail)
    return tuple(parts)
