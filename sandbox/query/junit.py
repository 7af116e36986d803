"""Assertion results as JUnit XML, for CI test reporters (one test case per assertion)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from xml.etree import ElementTree as ET

from sandbox.query.conditions import format_condition


def junit_xml(results: Sequence[dict[str, Any]], *, suite: str = "postback-sandbox") -> str:
    """``results`` are assertion result bodies as /api/assert answers them."""
    failures = sum(1 for r in results if not r["ok"])
    total_time = sum(float(r.get("waited", 0)) for r in results)
    root = ET.Element("testsuites", name=suite, tests=str(len(results)),
                      failures=str(failures), time=f"{total_time:.3f}")
    node = ET.SubElement(root, "testsuite", name=suite, tests=str(len(results)),
                         failures=str(failures), errors="0", time=f"{total_time:.3f}")
    for index, result in enumerate(results):
        case = ET.SubElement(node, "testcase", classname=suite, name=case_name(result, index),
                             time=f"{float(result.get('waited', 0)):.3f}")
        if not result["ok"]:
            failure = ET.SubElement(case, "failure", message=result.get("message", "failed"),
                                    type="AssertionFailed")
            failure.text = result["details"] if "details" in result else json.dumps(
                {k: result.get(k) for k in ("expected", "matched", "duplicates", "near_misses")},
                indent=2, ensure_ascii=False)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def case_name(result: dict[str, Any], index: int) -> str:
    if result.get("name"):
        return str(result["name"])
    assertion = result.get("assertion") or {}
    where = ", ".join(
        format_condition(field, op) for field, op in (assertion.get("where") or {}).items()
    )
    channel = assertion.get("channel") or "any channel"
    return f"assertion {index + 1}: {channel}" + (f" where {where}" if where else "")
