"""Assertion results as a readable report, the same in the CLI, the pytest plugin and runs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sandbox.query.junit import case_name


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)


def result_lines(result: dict[str, Any], index: int = 0) -> list[str]:
    head = "PASS" if result["ok"] else "FAIL"
    lines = [f"{head} {case_name(result, index)}: {result['message']}"
             f" (waited {float(result.get('waited', 0)):.2f}s)"]
    if result["ok"]:
        return lines
    misses = result.get("near_misses") or []
    if misses:
        lines.append("  nearest postbacks that did not match:")
    for miss in misses:
        lines.append(f"  - #{miss['id']} at {miss.get('received_at')}:")
        for diff in miss["differences"]:
            actual = "(missing)" if diff.get("missing") else _value(diff["actual"])
            lines.append(f"      {diff['field']}: expected {_value(diff['expected'])},"
                         f" got {actual}")
    return lines


def report(results: Sequence[dict[str, Any]]) -> str:
    lines = [line for i, r in enumerate(results) for line in result_lines(r, i)]
    passed = sum(1 for r in results if r["ok"])
    lines.append(f"{passed} passed, {len(results) - passed} failed")
    return "\n".join(lines)
