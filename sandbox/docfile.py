"""Load a YAML or JSON document, remember the line of every node, validate it against a schema.

Generic on purpose: the scenario loader and the sandbox config loader both use it. Every
problem comes out as one line, ``file:line: dotted.path[0].field: what was expected``.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from jsonschema.exceptions import ValidationError, best_match

from sandbox.errors import DocumentError

PathTuple = tuple[str | int, ...]

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BOOL_TAG = "tag:yaml.org,2002:bool"


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """YAML 1.2 booleans: only true/false. In YAML 1.1 `on`, `yes`, `no` and `off` are
    booleans too, which turns an assertion's `on: deliveries` key into True."""

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL_TAG]
        for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
    }


_Loader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_MAX_DEPTH = 200
_MAX_PROBLEMS = 50


@dataclass(frozen=True)
class Document:
    """Parsed data plus the 1-based line of every node, keyed by its path tuple."""

    path: Path
    data: Any
    lines: Mapping[PathTuple, int] = field(default_factory=dict)

    def line_of(self, where: PathTuple) -> int:
        """The line of ``where``, or of its nearest ancestor that has one (1 at worst)."""
        probe = tuple(where)
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            probe = probe[:-1]
        return self.lines.get((), 1)

    def problem(self, where: PathTuple, message: str) -> str:
        """One problem line: ``file:line: path: message`` (path omitted at the root)."""
        location = format_path(where)
        prefix = f"{self.path}:{self.line_of(where)}"
        return f"{prefix}: {location}: {message}" if location else f"{prefix}: {message}"


def format_path(where: Iterable[str | int]) -> str:
    """``("networks", 0, "url")`` becomes ``networks[0].url``."""
    text = ""
    for part in where:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.replace("_", "a").replace("-", "a").isalnum():
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part, ensure_ascii=False)}]"
    return text


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice closest to ``word`` when one is close enough, else None."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when a close match exists, else an empty string."""
    close = closest(word, choices)
    return f" (did you mean {close!r}?)" if close else ""


def read_document(path: Path, *, error_cls: type[DocumentError] = DocumentError) -> Document:
    """Parse ``path`` (YAML, or JSON by suffix) keeping line numbers; syntax errors get a line."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise error_cls([f"{path}:1: not UTF-8 text ({exc.reason})"]) from None
    except OSError as exc:
        raise error_cls([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    if path.suffix.lower() == ".json":
        return _read_json(path, text, error_cls)
    return _read_yaml(path, text, error_cls)


def validate_document(
    doc: Document, schema: Mapping[str, Any], *, error_cls: type[DocumentError] = DocumentError
) -> None:
    """Raise ``error_cls`` listing every schema violation with its line, or return."""
    problems = schema_problems(doc, schema)
    if problems:
        raise error_cls(problems)


def schema_problems(doc: Document, schema: Mapping[str, Any]) -> list[str]:
    """Every schema violation as a problem line, in line order."""
    return in_line_order(doc, [text for _, text in schema_findings(doc, schema)])


def schema_findings(doc: Document, schema: Mapping[str, Any]) -> list[tuple[PathTuple, str]]:
    """Every schema violation as (where, problem line), unsorted."""
    validator = jsonschema.Draft202012Validator(schema)
    return [
        (where, doc.problem(where, message))
        for error in validator.iter_errors(doc.data)
        for where, message in _explain(error)
    ]


def in_line_order(doc: Document, problems: Iterable[str]) -> list[str]:
    """Problem lines of ``doc`` sorted by line (stable), without repeats, at most 50 and a
    count of the rest."""
    prefix = f"{doc.path}:"

    def line(text: str) -> int:
        number = text[len(prefix):].partition(":")[0] if text.startswith(prefix) else ""
        return int(number) if number.isdigit() else 0

    unique = sorted(dict.fromkeys(problems), key=line)
    if len(unique) > _MAX_PROBLEMS:
        unique = unique[:_MAX_PROBLEMS] + [f"... and {len(unique) - _MAX_PROBLEMS} more"]
    return unique


def load_document(
    path: Path, schema: Mapping[str, Any], *, error_cls: type[DocumentError] = DocumentError
) -> Any:
    """Read and validate a document; return its plain data or raise ``error_cls``."""
    doc = read_document(path, error_cls=error_cls)
    validate_document(doc, schema, error_cls=error_cls)
    return doc.data


# --- parsing ----------------------------------------------------------------------------


def _read_yaml(path: Path, text: str, error_cls: type[DocumentError]) -> Document:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Document(path, None, {(): 1})
        lines: dict[PathTuple, int] = {}
        problems: list[str] = []
        data = _build(loader, node, (), lines, problems, path, 0)
    except yaml.MarkedYAMLError as exc:
        raise error_cls([f"{path}:{_syntax_error(exc)}"]) from None
    except yaml.YAMLError as exc:
        raise error_cls([f"{path}:1: YAML error: {exc}"]) from None
    finally:
        loader.dispose()
    if problems:
        raise error_cls(problems)
    return Document(path, data, lines)


# Contexts whose mark is the opening the problem is about: an unclosed { or [ or quote is
# noticed lines later, where the next key starts; a block context's mark is only where the
# enclosing mapping or list began, so there the problem's own line is the better one.
_OPENING_CONTEXTS = ("flow mapping", "flow sequence", "quoted scalar", "simple key")


def _syntax_error(exc: yaml.MarkedYAMLError) -> str:
    """``line: YAML syntax error: ...`` naming the line of an unclosed opening, if any."""
    problem, context = exc.problem or "invalid YAML", exc.context or ""
    noticed = exc.problem_mark or exc.context_mark
    opened = exc.context_mark if any(word in context for word in _OPENING_CONTEXTS) else None
    if opened is None or noticed is None or opened.line == noticed.line:
        mark = opened or noticed
        return f"{mark.line + 1 if mark is not None else 1}: YAML syntax error: {problem}"
    what = context.removeprefix("while parsing ").removeprefix("while scanning ")
    return (f"{opened.line + 1}: YAML syntax error: {what} starts here: {problem} "
            f"(noticed at line {noticed.line + 1})")


def _build(
    loader: yaml.SafeLoader,
    node: yaml.Node,
    where: PathTuple,
    lines: dict[PathTuple, int],
    problems: list[str],
    path: Path,
    depth: int,
) -> Any:
    lines.setdefault(where, node.start_mark.line + 1)
    if depth > _MAX_DEPTH:
        problems.append(f"{path}:{node.start_mark.line + 1}: nested too deeply")
        return None
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)  # JSON Schema speaks string keys; YAML 1.1 may say `yes:`
            child = (*where, key)
            if key in result:
                problems.append(f"{path}:{key_node.start_mark.line + 1}: "
                                f"{format_path(child)}: duplicate key")
            lines[child] = key_node.start_mark.line + 1
            result[key] = _build(loader, value_node, child, lines, problems, path, depth + 1)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(loader, item, (*where, index), lines, problems, path, depth + 1)
            for index, item in enumerate(node.value)
        ]
    value = loader.construct_object(node, deep=True)
    if hasattr(value, "isoformat"):
        return value.isoformat()  # YAML timestamps become strings, as JSON would have them
    return value


def _read_json(path: Path, text: str, error_cls: type[DocumentError]) -> Document:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise error_cls([f"{path}:{exc.lineno}: JSON syntax error: {exc.msg}"]) from None
    except RecursionError:
        raise error_cls([f"{path}:1: nested too deeply"]) from None
    try:  # JSON is (nearly) YAML: borrow the YAML composer for line numbers when it agrees
        doc = _read_yaml(path, text, error_cls)
    except DocumentError:
        return Document(path, data, {(): 1})
    return Document(path, data, doc.lines if doc.data == data else {(): 1})


# --- schema messages --------------------------------------------------------------------

_TYPE_NAMES = {
    "string": "a string", "integer": "an integer", "number": "a number",
    "boolean": "true or false", "object": "a mapping", "array": "a list", "null": "null",
}


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _explain(error: ValidationError) -> Iterator[tuple[PathTuple, str]]:
    where: PathTuple = tuple(error.absolute_path)
    kind, detail = error.validator, error.validator_value
    if kind in ("oneOf", "anyOf") and error.context:
        # prefer the branch of the value's own type: "7 days" is a bad duration string,
        # not a bad number
        fitting = [e for e in error.context if e.validator != "type"] or error.context
        yield from _explain(best_match(fitting))
        return
    if kind == "additionalProperties" and isinstance(error.instance, Mapping):
        allowed = list(error.schema.get("properties", {}))
        for key in error.instance:
            if key not in allowed and not _matches_pattern(error.schema, key):
                yield (*where, key), f"unknown field{did_you_mean(key, allowed)}"
        return
    if kind == "required" and isinstance(detail, Sequence):
        for name in detail:
            if isinstance(error.instance, Mapping) and name not in error.instance:
                yield where, f"missing required field {name!r}"
        return
    yield where, _message(error)


def _matches_pattern(schema: Mapping[str, Any], key: str) -> bool:
    import re

    return any(re.search(pattern, key) for pattern in schema.get("patternProperties", {}))


def _message(error: ValidationError) -> str:
    kind, detail, got = error.validator, error.validator_value, error.instance
    hint = error.schema.get("errorMessage") if isinstance(error.schema, Mapping) else None
    if isinstance(hint, str):
        return f"{hint}; got {_describe(got)}"
    if kind == "type":
        names = [detail] if isinstance(detail, str) else list(detail)
        wanted = " or ".join(_TYPE_NAMES.get(name, name) for name in names)
        return f"expected {wanted}, got {_describe(got)}"
    if kind == "enum":
        options = ", ".join(str(option) for option in detail)
        suggestion = did_you_mean(got, [str(o) for o in detail]) if isinstance(got, str) else ""
        return f"expected one of {options}; got {_describe(got)}{suggestion}"
    if kind == "const":
        return f"expected {_describe(detail)}, got {_describe(got)}"
    limits = {
        "minimum": "at least", "maximum": "at most",
        "exclusiveMinimum": "more than", "exclusiveMaximum": "less than",
    }
    if kind in limits:
        return f"expected a number {limits[kind]} {detail}, got {_describe(got)}"
    if kind == "pattern":
        return f"expected text matching {detail}, got {_describe(got)}"
    if kind in ("minItems", "maxItems", "minLength", "maxLength", "minProperties"):
        return f"{error.message}"
    return error.message
