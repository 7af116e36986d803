"""The ``{name}`` template language: compile once, render many times.

``{name}`` is a macro from the catalogue, ``{{`` and ``}}`` are literal braces. An unknown
name is a ``TemplateError`` (with a did-you-mean); a known macro with no value renders empty,
or drops its whole parameter / key when the template says ``drop_empty`` (``no_value``: the
all-zero advertising id counts as no value there). Encodings:

- URL: every value is percent-encoded (space as %20); the query is split into parameters
  (``sandbox/scenarios/url_template.py``).
- JSON: the template is a parsed document; each string is rendered, and a string that is
  exactly one macro keeps the value's type (number, boolean, object, null).
- form: ``application/x-www-form-urlencoded`` (space as +).
- text: values are inserted as they are (headers, plain bodies).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

from sandbox.braces import TemplateError, split_braces
from sandbox.docfile import did_you_mean
from sandbox.scenarios.journey import ZERO_UUID
from sandbox.scenarios.macro_catalogue import CATALOGUE, EVENT_SCOPED, MacroContext

_NAME = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True, slots=True)
class MacroRef:
    name: str
    get: Callable[[MacroContext], Any]


Part = str | MacroRef


def to_text(value: Any) -> str:
    """How a typed value reads inside text: None empty, booleans lower case, 5.0 as 5."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def form_encode(text: str) -> str:
    return quote_plus(text, safe="-._~")


def compile_text(source: str) -> tuple[Part, ...]:
    """Split ``source`` into literal strings and macro references; raise TemplateError."""
    parts: list[Part] = []
    for part in split_braces(source):
        if isinstance(part, str):
            parts.append(part)
            continue
        name = part.name
        if not _NAME.fullmatch(name):
            raise TemplateError(f"{{{name}}} is not a macro name; write '{{{{' for a literal brace")
        macro = CATALOGUE.get(name)
        if macro is None:
            raise TemplateError(f"unknown macro {{{name}}}{_suggest(name)}")
        parts.append(MacroRef(name, macro.get))
    return tuple(parts)


def _suggest(name: str) -> str:
    hint = did_you_mean(name, CATALOGUE)
    return hint.replace("'", "{", 1).replace("'", "}", 1) if hint else ""


def render_parts(parts: tuple[Part, ...], ctx: MacroContext, encode: Callable[[str], str]) -> str:
    """Render parts one by one (the slow, obvious way; ``Compiled`` is the fast one)."""
    return "".join(
        part if isinstance(part, str) else encode(to_text(part.get(ctx))) for part in parts
    )


def single_macro(parts: tuple[Part, ...]) -> MacroRef | None:
    """The macro when the text is exactly one ``{name}`` and nothing else."""
    if len(parts) == 1 and isinstance(parts[0], MacroRef):
        return parts[0]
    return None


def text_value(value: Any) -> str:
    return value if value.__class__ is str else to_text(value)


def form_value(value: Any) -> str:
    return form_encode(value if value.__class__ is str else to_text(value))


class Compiled:
    """Parts folded into one ``str.format`` pattern: one format call per render.

    ``partial`` fills the slots that stay the same for every postback of one install
    (device, campaign, app), leaving a smaller pattern for the per-event slots.
    """

    __slots__ = ("parts", "pattern", "getters", "single", "per_event", "event_getters",
                 "literal")

    def __init__(self, parts: tuple[Part, ...]) -> None:
        self.parts = parts
        pieces = []
        getters = []
        per_event = []
        for part in parts:
            if isinstance(part, str):
                pieces.append(part.replace("{", "{{").replace("}", "}}"))
            else:
                pieces.append("{}")
                getters.append(part.get)
                per_event.append(part.name in EVENT_SCOPED)
        self.pattern = "".join(pieces)
        self.getters = tuple(getters)
        self.per_event = tuple(per_event)
        self.event_getters = tuple(g for g, e in zip(getters, per_event, strict=True) if e)
        self.single = single_macro(parts)
        self.literal = "".join(p for p in parts if isinstance(p, str))

    def render(self, ctx: MacroContext, encode: Callable[[Any], str]) -> str:
        if not self.getters:
            return self.literal
        return self.pattern.format(*[encode(get(ctx)) for get in self.getters])

    def partial(self, ctx: MacroContext, encode: Callable[[Any], str]) -> str:
        """The pattern with install-level slots filled; format it with the event values."""
        values = [
            "{}" if event else encode(get(ctx)).replace("{", "{{").replace("}", "}}")
            for get, event in zip(self.getters, self.per_event, strict=True)
        ]
        return self.pattern.format(*values)


@dataclass(frozen=True)
class TextTemplate:
    source: str
    compiled: Compiled

    @classmethod
    def compile(cls, source: str) -> TextTemplate:
        return cls(source, Compiled(compile_text(source)))

    def render(self, ctx: MacroContext) -> str:
        text = self.compiled.render(ctx, text_value)
        return text.replace("\r", " ").replace("\n", " ")

    def fixed_text(self) -> str | None:
        """What ``render`` gives for any context, when the text has no macros."""
        if self.compiled.getters:
            return None
        return self.compiled.literal.replace("\r", " ").replace("\n", " ")


Param = tuple[Compiled, Compiled | None]


def no_value(value: Any) -> bool:
    """What ``drop_empty`` leaves out: no value, an empty text, or the all-zero advertising
    id, which is how iOS (ATT not authorised) and Android (ads personalisation off) say there
    is no id; Adjust drops an unavailable placeholder (docs/scenarios.md, `drop_empty`)."""
    return value is None or value == "" or value == ZERO_UUID


def render_pair(
    param: Param, ctx: MacroContext, encode: Callable[[Any], str], *, drop_empty: bool
) -> str | None:
    name_template, value_template = param
    name = name_template.render(ctx, encode) if name_template.getters else name_template.literal
    if value_template is None:
        return name
    only = value_template.single if drop_empty else None
    if only is not None:
        value = only.get(ctx)
        if no_value(value):
            return None
        return f"{name}={encode(value)}"
    return f"{name}={value_template.render(ctx, encode)}"


def _render_pairs(
    params: tuple[Param, ...], ctx: MacroContext, encode: Callable[[Any], str], *, drop_empty: bool
) -> list[str]:
    pairs = []
    for param in params:
        pair = render_pair(param, ctx, encode, drop_empty=drop_empty)
        if pair is not None:
            pairs.append(pair)
    return pairs


_DROP = object()


def compile_json(value: Any, where: tuple[str | int, ...] = ()) -> Any:
    """Compile every string of a parsed JSON document; TemplateError.field names the spot."""
    if isinstance(value, str):
        try:
            return Compiled(compile_text(value))
        except TemplateError as exc:
            raise TemplateError(exc.message, field=_dotted(where)) from None
    if isinstance(value, Mapping):
        return {str(key): compile_json(item, (*where, str(key))) for key, item in value.items()}
    if isinstance(value, list):
        return [compile_json(item, (*where, index)) for index, item in enumerate(value)]
    return value


def _dotted(where: tuple[str | int, ...]) -> str:
    return ".".join(str(part) for part in where)


def render_json(compiled: Any, ctx: MacroContext, *, drop_empty: bool = False) -> Any:
    """The document with every string rendered; exact single macros keep their type."""
    if isinstance(compiled, Compiled):
        if compiled.single is not None:
            value = compiled.single.get(ctx)
            return _DROP if drop_empty and no_value(value) else value
        return compiled.render(ctx, text_value)
    if isinstance(compiled, dict):
        out = {}
        for key, item in compiled.items():
            rendered = render_json(item, ctx, drop_empty=drop_empty)
            if rendered is not _DROP:
                out[key] = rendered
        return out
    if isinstance(compiled, list):
        items = (render_json(item, ctx, drop_empty=drop_empty) for item in compiled)
        return [item for item in items if item is not _DROP]
    return compiled


@dataclass(frozen=True)
class BodyTemplate:
    """A request body: ``json`` (parsed document), ``form`` (mapping) or ``text``."""

    format: str
    compiled: Any

    @classmethod
    def compile(cls, body: Any, body_format: str) -> BodyTemplate:
        if body_format == "text":
            if not isinstance(body, str):
                raise TemplateError("a text body must be a string")
            return cls("text", Compiled(compile_text(body)))
        if body_format == "form":
            if not isinstance(body, Mapping):
                raise TemplateError("a form body must be a mapping of field to value")
            pairs = []
            for key, value in body.items():
                try:
                    pairs.append(
                        (Compiled(compile_text(str(key))), Compiled(compile_text(to_text(value))))
                    )
                except TemplateError as exc:
                    raise TemplateError(exc.message, field=str(key)) from None
            return cls("form", tuple(pairs))
        return cls("json", compile_json(body))

    def render(self, ctx: MacroContext, *, drop_empty: bool = False) -> bytes:
        return self.render_text(ctx, drop_empty=drop_empty).encode("utf-8")

    def render_text(self, ctx: MacroContext, *, drop_empty: bool = False) -> str:
        if self.format == "json":
            document = render_json(self.compiled, ctx, drop_empty=drop_empty)
            text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
        elif self.format == "form":
            text = "&".join(_render_pairs(self.compiled, ctx, form_value, drop_empty=drop_empty))
        else:
            text = self.compiled.render(ctx, text_value)
        return text
