"""OpenAPI for scenario runs and the delivery log (issue 5): /api/runs, /api/deliveries.

The views are built in sandbox/query/delivery_views.py; the inspector's runs and deliveries pages
render exactly these shapes.
"""

from __future__ import annotations

from typing import Any

from sandbox.delivery.background import RUN_REQUEST_SCHEMA
from sandbox.delivery.chaos import KINDS as CHAOS_KINDS
from sandbox.delivery.query import KINDS
from sandbox.store.deliveries import STATES
from sandbox.web.apidoc.parts import ERRORS, json_response, param, ref

NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_INT = {"type": ["integer", "null"]}
NULLABLE_NUMBER = {"type": ["number", "null"]}
PAIRS = {"type": "array", "items": {"type": "array", "items": {"type": "string"},
                                    "minItems": 2, "maxItems": 2}}
LIMIT = param("limit", schema={"type": "integer", "minimum": 1, "maximum": 500})
CURSOR = param("cursor", description="next_cursor of the previous page")

DELIVERY_PROPERTIES: dict[str, Any] = {
    "id": {"type": "integer"},
    "run_id": {**NULLABLE_INT, "description": "null: not part of a scenario run"},
    "postback_id": {"type": "string", "description": "stable across retries (webhook-id)"},
    "seq": NULLABLE_INT,
    "kind": {"enum": list(KINDS)},
    "network": {"type": "string"},
    "campaign": NULLABLE_STRING,
    "event_name": NULLABLE_STRING,
    "click_id": NULLABLE_STRING,
    "install_id": NULLABLE_STRING,
    "event_id": NULLABLE_STRING,
    "method": {"type": "string"},
    "url": {"type": "string", "description": "as the newest attempt sent it (signed)"},
    "query": {"type": "object",
              "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    "headers": {**PAIRS, "description": "as the newest attempt sent them (signed)"},
    "body": NULLABLE_STRING,
    "body_encoding": {"enum": ["utf-8", "base64", None]},
    "json": {"description": "the parsed JSON body, or null"},
    "signing": {**NULLABLE_STRING, "description": "the signing profile's kind, or null"},
    "chaos": {"type": "array", "items": {"enum": list(CHAOS_KINDS)},
              "description": "faults injected on purpose"},
    "scheduled_at": {**NULLABLE_STRING, "description": "simulated time of the install/event"},
    "state": {"enum": list(STATES)},
    "attempts": {"type": "integer"},
    "status": {**NULLABLE_INT, "description": "the newest attempt's status; null: no answer"},
    "error": {**NULLABLE_STRING, "description": "the newest attempt's transport error"},
    "latency_ms": NULLABLE_NUMBER,
    "created_at": {"type": "string"},
    "updated_at": {"type": "string"},
    "next_attempt_at": {**NULLABLE_STRING, "description": "when retrying: the next attempt"},
}

SCHEMAS: dict[str, Any] = {
    "Run": {
        "type": "object",
        "required": ["id", "scenario", "seed", "mode", "state", "started_at", "finished_at",
                     "summary", "expectations"],
        "properties": {
            "id": {"type": "integer"},
            "scenario": {"type": "string"},
            "source": NULLABLE_STRING,
            "seed": {"type": "integer"},
            "mode": {"enum": ["fast", "paced"]},
            "speed": NULLABLE_NUMBER,
            "target_base": NULLABLE_STRING,
            "concurrency": {"type": "integer"},
            "state": {"enum": ["running", "finished", "interrupted"]},
            "started_at": {"type": "string"},
            "finished_at": NULLABLE_STRING,
            "summary": {"type": "object", "description": (
                "sent, delivered, failed, retried, attempts, chaos, latency_ms {p50, p95}, "
                "errors {kind: count}; updated about every second while running")},
            "expectations": {"type": ["array", "null"], "items": ref("AssertionResult"),
                             "description": "null until checked (run --check)"},
            "deliveries": {"type": "object", "description": "GET /api/runs/{id} only: "
                           "deliveries per state, counted now",
                           "additionalProperties": {"type": "integer"}},
        },
    },
    "RunPage": {
        "type": "object",
        "required": ["runs", "next_cursor", "count"],
        "properties": {"runs": {"type": "array", "items": ref("Run")},
                       "next_cursor": NULLABLE_STRING, "count": {"type": "integer"}},
    },
    "Delivery": {"type": "object", "required": list(DELIVERY_PROPERTIES),
                 "properties": DELIVERY_PROPERTIES},
    "Attempt": {
        "type": "object",
        "required": ["number", "started_at", "status", "latency_ms", "error", "response"],
        "properties": {
            "number": {"type": "integer", "minimum": 1},
            "started_at": {"type": "string"},
            "status": NULLABLE_INT,
            "latency_ms": NULLABLE_NUMBER,
            "error": NULLABLE_STRING,
            "response": {"type": "object", "required": ["headers", "body", "body_encoding"],
                         "properties": {
                             "headers": PAIRS,
                             "body": {"type": "string", "description": "first 1024 bytes"},
                             "body_encoding": {"enum": ["utf-8", "base64"]}}},
        },
    },
    "DeliveryDetail": {
        "allOf": [ref("Delivery"), {"type": "object", "required": ["attempt_log"],
                                    "properties": {"attempt_log": {
                                        "type": "array", "items": ref("Attempt")}}}],
    },
    "DeliveryPage": {
        "type": "object",
        "required": ["deliveries", "next_cursor", "count"],
        "properties": {"deliveries": {"type": "array", "items": ref("Delivery")},
                       "next_cursor": NULLABLE_STRING, "count": {"type": "integer"}},
    },
}

RUN_ID = param("run_id", "path", {"type": "integer"})
DELIVERY_ID = param("delivery_id", "path", {"type": "integer"})

PATHS: dict[str, Any] = {
    "/api/runs": {
        "get": {
            "summary": "Scenario runs, newest first, with cursor pagination",
            "parameters": [LIMIT, CURSOR],
            "responses": {"200": json_response("A page of runs", "RunPage"), **ERRORS},
        },
        "post": {
            "summary": "Deliver a scenario from this server (what `run --server` sends); "
                       "answers at once, then watch /api/runs/{id}",
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": RUN_REQUEST_SCHEMA}}},
            "responses": {"202": json_response("The run, started", "Run"), **ERRORS},
        },
    },
    "/api/runs/{run_id}": {"get": {
        "summary": "One run: its summary, expectation results and deliveries per state",
        "parameters": [RUN_ID],
        "responses": {"200": json_response("The run", "Run"), **ERRORS},
    }},
    "/api/runs/{run_id}/stop": {"post": {
        "summary": "Stop a running run: nothing more is sent (postbacks in flight finish)",
        "parameters": [RUN_ID],
        "responses": {"200": json_response("The run", "Run"), **ERRORS},
    }},
    "/api/deliveries": {"get": {
        "summary": "The delivery log, newest first, with filters and cursor pagination",
        "parameters": [
            param("run", schema={"type": "integer", "minimum": 0}),
            param("network"),
            param("state", schema={"enum": list(STATES)}),
            param("kind", schema={"enum": list(KINDS)}),
            param("event_name"), param("click_id"),
            LIMIT, CURSOR, param("order", schema={"enum": ["desc", "asc"]}),
        ],
        "responses": {"200": json_response("A page of deliveries", "DeliveryPage"), **ERRORS},
    }},
    "/api/deliveries/{delivery_id}": {"get": {
        "summary": "One delivery with every attempt",
        "parameters": [DELIVERY_ID],
        "responses": {"200": json_response("The delivery", "DeliveryDetail"), **ERRORS},
    }},
    "/api/deliveries/{delivery_id}/resend": {"post": {
        "summary": "Send a delivery once more now (signed afresh); logs one new attempt",
        "parameters": [DELIVERY_ID],
        "responses": {
            "200": json_response("The delivery with its new attempt", "DeliveryDetail"),
            "409": json_response("Its signing secret is not available here", "Error"),
            **ERRORS,
        },
    }},
}
