"""OpenAPI for /api/assert."""

from __future__ import annotations

from typing import Any

from sandbox.web.apidoc.parts import (
    CONDITION_SCHEMA,
    ERRORS,
    FIELD_SCHEMA,
    ID_SCHEMA,
    json_response,
    param,
    ref,
)

TEXT = {"type": "string", "minLength": 1, "maxLength": 200}  # names and channels
NON_EMPTY = {"type": "string", "minLength": 1}
SECONDS = {"type": "number", "minimum": 0, "description": "at most the server's --max-wait"}
WHOLE = {"type": "integer", "minimum": 0}
COUNT = {"anyOf": [WHOLE, *({"type": "object", "required": [op], "additionalProperties": False,
                             "properties": {op: WHOLE}} for op in ("eq", "gte", "lte")),
                   {"type": "object", "required": ["between"], "additionalProperties": False,
                    "properties": {"between": {"type": "array", "items": WHOLE,
                                               "minItems": 2, "maxItems": 2,
                                               "description": "[low, high], low <= high"}}}]}
COUNT_TEXT = {"type": "string", "pattern": "^(=|>=|<=|>|<)?[0-9]+$|^[0-9]+\\.\\.[0-9]+$"}

SCHEMAS: dict[str, Any] = {
    "Assertion": {
        "type": "object",
        "description": "See docs/assertions.md for the language.",
        "properties": {
            "name": {"anyOf": [TEXT, {"type": "null"}]},
            "on": {"enum": ["captures", "deliveries"]},
            "channel": {"anyOf": [TEXT, {"type": "null"}]},
            "where": {"type": "object"},
            "count": COUNT,
            "unique": {"anyOf": [NON_EMPTY, {"type": "null"}],
                       "description": "a field of the captures or deliveries, as on= says"},
            "since": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]},
            "since_id": {"anyOf": [ID_SCHEMA, {"type": "null"}]},
            "within": SECONDS,
            "during": SECONDS,
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
                param("channel", schema=TEXT), param("count", schema=COUNT_TEXT),
                param("unique", schema=FIELD_SCHEMA),
                param("since", schema={"type": "string", "format": "date-time"}),
                param("since_id", schema=ID_SCHEMA), param("within", schema=SECONDS),
                param("during", schema=SECONDS),
                param("where", schema={"type": "array", "items": CONDITION_SCHEMA},
                      style="form", explode=True),
            ],
            "responses": {"200": json_response("Holds", "AssertionResult"),
                          "417": json_response("Fails", "AssertionResult"),
                          "400": ERRORS["400"]},
        },
    },
}
