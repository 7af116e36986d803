"""The scenario field reference in docs/scenarios.md, generated from the shipped schema.

``python -m sandbox.scenarios.docs --write`` rewrites the generated part of the document
(between the two markers); the test suite fails when it is out of date.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from sandbox.scenarios.dialects import DIALECTS
from sandbox.scenarios.load import scenario_schema
from sandbox.scenarios.macro_catalogue import CATALOGUE

BEGIN = "<!-- BEGIN GENERATED REFERENCE (python -m sandbox.scenarios.docs --write) -->"
END = "<!-- END GENERATED REFERENCE -->"
DOC = Path(__file__).resolve().parents[2] / "docs" / "scenarios.md"


def _resolve(schema: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in node:
        merged = dict(schema["$defs"][node["$ref"].rsplit("/", 1)[1]])
        merged.update({k: v for k, v in node.items() if k != "$ref"})
        node = merged
    return node


def _type_of(schema: Mapping[str, Any], node: Mapping[str, Any]) -> str:
    if "enum" in node:
        return " \\| ".join(f"`{v}`" for v in node["enum"])
    if "const" in node:
        return f"`{node['const']}`"
    for key in ("oneOf", "anyOf"):
        if key in node:
            return " or ".join(_type_of(schema, _resolve(schema, n)) for n in node[key])
    kind = node.get("type", "any")
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "array":
        return "list"
    if kind == "object":
        return "mapping"
    return str(kind)


def fields(schema: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every documented field as (dotted path, resolved schema node), depth first."""
    yield from _walk(schema, schema, "")


def _walk(schema: Mapping[str, Any], node: Mapping[str, Any], prefix: str
          ) -> Iterator[tuple[str, Mapping[str, Any]]]:
    node = _resolve(schema, node)
    for name, child in node.get("properties", {}).items():
        if name == "$schema":
            continue
        child = _resolve(schema, child)
        path = f"{prefix}{name}"
        yield path, child
        yield from _children(schema, child, path)


def _children(schema: Mapping[str, Any], child: Mapping[str, Any], path: str
              ) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if child.get("type") == "array" and "items" in child:
        yield from _walk(schema, child["items"], f"{path}[].")
    elif "properties" in child:
        yield from _walk(schema, child, f"{path}.")
    elif isinstance(child.get("additionalProperties"), dict):
        inner = _resolve(schema, child["additionalProperties"])
        if "properties" in inner or "oneOf" in inner:
            yield from _walk(schema, inner, f"{path}.<name>.")
    for key in ("oneOf", "anyOf"):
        for option in child.get(key, []):
            option = _resolve(schema, option)
            if "properties" in option:
                yield from _walk(schema, option, f"{path}.")


def reference() -> str:
    schema = scenario_schema()
    lines = ["## Field reference", "",
             "Generated from `sandbox/scenarios/scenario.schema.json`; `[]` marks a list item, "
             "`<name>` a key of your choice.", "",
             "| field | type | default | meaning |", "|---|---|---|---|"]
    seen = set()
    for path, node in fields(schema):
        if path in seen:
            continue
        seen.add(path)
        default = f"`{json.dumps(node['default'])}`" if "default" in node else ""
        text = " ".join(str(node.get("description", "")).split()).replace("|", "\\|")
        lines.append(f"| `{path}` | {_type_of(schema, node)} | {default} | {text} |")
    lines += ["", "## Macro catalogue", "",
              "| macro | meaning | example |", "|---|---|---|"]
    for macro in CATALOGUE.values():
        example = macro.example.replace("|", "\\|")
        lines.append(f"| `{{{macro.name}}}` | {macro.description} | `{example}` |")
    lines += ["", "## Vendor macro dialects", "",
              "With `macros: <dialect>` on a network, its templates are written in that "
              "vendor's placeholder syntax; a preset's own templates are written in its "
              "vendor's. Each vendor macro reads as the catalogue macro beside it.", ""]
    for dialect in DIALECTS.values():
        lines += [f"### `{dialect.name}`: `{dialect.syntax}`", "",
                  "| vendor macro | catalogue macro |", "|---|---|"]
        for spelled, name in dialect.vendor_names().items():
            lines.append(f"| `{spelled}` | `{{{name}}}` |")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def render_document(current: str) -> str:
    head, _, rest = current.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{reference()}{END}{tail}"


def main(argv: list[str]) -> int:
    text = DOC.read_text(encoding="utf-8")
    updated = render_document(text)
    if "--write" in argv:
        DOC.write_text(updated, encoding="utf-8")
        return 0
    if updated != text:
        print(f"{DOC} is out of date; run python -m sandbox.scenarios.docs --write")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
