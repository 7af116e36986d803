"""OpenAPI for /api/assert."""

from __future__ import annotations

from typing import Any

from sandbox.openapi import ERRORS, json_response, param, ref

SCHEMAS: dict[str, Any] = {
    "Assertion": {
        "type": "object",
        "description": "See docs/assertions.md for the language.",
        "properties": {
            "name": {"type": "string"},
            "on": {"enum": ["captures", "deliveries"]},
            "channel": {"type": "string"},
            "where": {"type": "object"},
            "count": {"anyOf": [{"type": "integer"}, {"type": "object"}]},
            "unique": {"type": "string"},
            "since": {"type": "string"},
            "since_id": {"type": "integer"},
            "within": {"type": "number"},
            "during": {"type": "number"},
        },
    },
    "AssertionResult": {
        "type": "object",
        "required": ["ok", "matched", "expected", "duplicates", "near_misses", "waited",
                     "message"],
        "properties": {
            "ok": {"type": "boolean"},
            "name": {"type": ["string", "null"]},
            "matched": {"type": "integer"},
            "expected": {"type": "object"},
            "duplicates": {"type": "object"},
            "matched_ids": {"type": "array", "items": {"type": "integer"}},
            "near_misses": {"type": "array", "items": {
                "type": "object", "required": ["id", "differences"],
                "properties": {"id": {"type": "integer"}, "received_at": {},
                               "differences": {"type": "array"}},
            }},
            "incomplete": {"type": ["string", "null"], "description": (
                "Why not every record in scope was checked (the scan time budget ran out); "
                "an incomplete result never holds")},
            "waited": {"type": "number"},
            "message": {"type": "string"},
            "assertion": {"type": "object"},
        },
    },
    "AssertionResults": {
        "type": "object",
        "required": ["ok", "results"],
        "properties": {
            "ok": {"type": "boolean"},
            "results": {"type": "array", "items": ref("AssertionResult")},
        },
    },
}

RESULT = {
    "description": "One result, or {ok, results} for a list",
    "content": {"application/json": {"schema": {"anyOf": [
        ref("AssertionResult"), ref("AssertionResults")]}}},
}

PATHS: dict[str, Any] = {
    "/api/assert": {
        "post": {
            "summary": "Assert that postbacks arrived (200 holds, 417 fails)",
            "requestBody": {"content": {"application/json": {"schema": {"anyOf": [
                ref("Assertion"), {"type": "array", "items": ref("Assertion")}]}}}},
            "responses": {"200": RESULT, "417": RESULT, "400": ERRORS["400"]},
        },
        "get": {
            "summary": "The URL form: field=value equalities, repeated where=<condition>",
            "parameters": [
                param("channel"), param("count"), param("unique"), param("since"),
                param("since_id"), param("within"), param("during"),
                param("where", schema={"type": "array", "items": {"type": "string"}},
                      style="form", explode=True),
            ],
            "responses": {"200": json_response("Holds", "AssertionResult"),
                          "417": json_response("Fails", "AssertionResult"),
                          "400": ERRORS["400"]},
        },
    },
}
