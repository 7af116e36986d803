"""OpenAPI for the inspector's endpoints: live stream, replay, "assert on this", chart data."""

from __future__ import annotations

from typing import Any

from sandbox.web.apidoc.parts import CAPTURE_ID, ERRORS, FIELD_SCHEMA, FILTERS, json_response, param

COUNTS = {"type": "array", "items": {"type": "integer", "minimum": 0}}
COUNT = {"type": "integer", "minimum": 0}
BOUND = {"type": ["number", "null"], "description": "null: unbounded on this side"}
RUN = param("run", schema={"type": "integer", "minimum": 1},
            description="only this scenario run's deliveries (default: every delivery)")

SCHEMAS: dict[str, Any] = {
    "DeliveryLatency": {
        "type": "object",
        "required": ["run", "buckets", "total", "ok", "failed"],
        "properties": {
            "run": {"type": ["integer", "null"]},
            "buckets": {"type": "array", "items": {
                "type": "object",
                "required": ["label", "low_ms", "high_ms", "ok", "failed", "count"],
                "properties": {"label": {"type": "string"}, "low_ms": BOUND, "high_ms": BOUND,
                               "ok": COUNT, "failed": COUNT, "count": COUNT},
            }, "description": "log-scaled latency buckets [low_ms, high_ms), every one present"},
            "total": COUNT, "ok": COUNT, "failed": COUNT,
        },
    },
    "ClickToInstall": {
        "type": "object",
        "required": ["run", "buckets", "total", "injection_suspects", "spam_suspects"],
        "properties": {
            "run": {"type": ["integer", "null"]},
            "buckets": {"type": "array", "items": {
                "type": "object", "required": ["label", "low_s", "high_s", "count"],
                "properties": {"label": {"type": "string"}, "low_s": BOUND, "high_s": BOUND,
                               "count": COUNT},
            }, "description": "<10 s, 10-60 s, 1-10 min, 10-60 min, 1-6 h, 6-24 h, 1-7 d, >7 d"},
            "total": COUNT,
            "injection_suspects": {**COUNT, "description": "installs under 10 s after the click"},
            "spam_suspects": {**COUNT, "description": "installs over a day after the click"},
        },
    },
    "ReplayResult": {
        "type": "object",
        "required": ["id", "url", "method", "status", "elapsed_ms", "headers", "body",
                     "body_truncated", "error"],
        "properties": {
            "id": {"type": "integer"},
            "url": {"type": "string"},
            "method": {"type": "string"},
            "status": {"type": ["integer", "null"], "description": "null when no answer came"},
            "elapsed_ms": {"type": "number"},
            "headers": {"type": "array", "items": {
                "type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2}},
            "body": {"type": "string", "description": "the answer's first 4096 characters"},
            "body_truncated": {"type": "boolean"},
            "error": {"type": ["string", "null"]},
        },
    },
    "BuiltAssertion": {
        "type": "object",
        "required": ["id", "fields", "assertion", "conditions", "cli", "pytest", "candidates"],
        "properties": {
            "id": {"type": "integer"},
            "fields": {"type": "array", "items": {"type": "string"}},
            "assertion": {"$ref": "#/components/schemas/Assertion"},
            "conditions": {"type": "array", "items": {"type": "string"}},
            "cli": {"type": "string"},
            "pytest": {"type": "string"},
            "candidates": {"type": "array", "items": {
                "type": "object", "required": ["field", "value", "condition"],
                "properties": {"field": {"type": "string"}, "value": {},
                               "condition": {"type": "string"}},
            }},
        },
    },
    "PostbacksPerMinute": {
        "type": "object",
        "required": ["channel", "minutes", "channels", "total", "peak"],
        "properties": {
            "channel": {"type": ["string", "null"]},
            "minutes": {"type": "array", "items": {"type": "string"},
                        "description": "UTC minutes, YYYY-MM-DDTHH:MM, oldest first"},
            "channels": {"type": "array", "items": {
                "type": "object", "required": ["channel", "counts", "total"],
                "properties": {"channel": {"type": "string"}, "counts": COUNTS,
                               "total": {"type": "integer"}},
            }},
            "total": {"type": "integer"},
            "peak": {"type": "integer"},
        },
    },
    "EventNames": {
        "type": "object",
        "required": ["channel", "events", "total", "other"],
        "properties": {
            "channel": {"type": ["string", "null"]},
            "events": {"type": "array", "items": {
                "type": "object", "required": ["event_name", "total", "channels"],
                "properties": {
                    "event_name": {"type": ["string", "null"]},
                    "total": {"type": "integer"},
                    "channels": {"type": "object",
                                 "additionalProperties": {"type": "integer"}},
                },
            }},
            "total": {"type": "integer"},
            "other": {"type": "integer", "description": "postbacks under names not listed"},
        },
    },
}

SEARCH = FILTERS  # the same filters as /api/postbacks, verdict and where included

PATHS: dict[str, Any] = {
    "/api/postbacks/stream": {"get": {
        "summary": "New postbacks as Server-Sent Events (event 'postbacks', data "
                   "{rows, more}); ends after 60 s, EventSource reconnects with Last-Event-ID",
        "parameters": [
            *SEARCH,
            param("after_id", schema={"type": "integer", "minimum": 0},
                  description="send postbacks above this id (default: the newest now)"),
        ],
        "responses": {"200": {"description": "text/event-stream",
                              "content": {"text/event-stream": {}}}, **ERRORS},
    }},
    "/api/postbacks/{capture_id}/replay": {"post": {
        "summary": "Send a captured postback again (method, headers, raw body) to a URL",
        "parameters": [CAPTURE_ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["url"],
            "properties": {"url": {"type": "string", "format": "uri"},
                           "timeout": {"type": "number", "exclusiveMinimum": 0,
                                       "maximum": 60}},
        }}}},
        "responses": {"200": json_response("What the URL answered (or the error)",
                                           "ReplayResult"),
                      **ERRORS,
                      "403": json_response("Sent from another origin", "Error")},
    }},
    "/api/postbacks/{capture_id}/assertion": {"get": {
        "summary": "Build an assertion that holds on this postback from chosen fields: "
                   "JSON, CLI line and pytest call",
        "parameters": [
            CAPTURE_ID,
            param("field", schema=FIELD_SCHEMA,
                  description="a field to assert on; repeat for several "
                              "(default: the extracted keys)", explode=True),
            param("count", description="how many must match: 1, >=1, <=3, 1..3 "
                                       "(empty or left out: at least 1)"),
        ],
        "responses": {"200": json_response("The assertion", "BuiltAssertion"), **ERRORS},
    }},
    "/api/stats/postbacks-per-minute": {"get": {
        "summary": "Postbacks per minute per channel over the last N minutes (UTC)",
        "parameters": [
            param("minutes", schema={"type": "integer", "minimum": 1, "maximum": 1440}),
            param("channel"),
        ],
        "responses": {"200": json_response("Counts", "PostbacksPerMinute"), **ERRORS},
    }},
    "/api/stats/event-names": {"get": {
        "summary": "Postbacks per extracted event name (and channel), most frequent first",
        "parameters": [
            param("channel"),
            param("limit", schema={"type": "integer", "minimum": 1, "maximum": 50}),
        ],
        "responses": {"200": json_response("Counts", "EventNames"), **ERRORS},
    }},
    "/api/stats/delivery-latency": {"get": {
        "summary": "Delivery attempts by latency (log-scaled buckets), answered 2xx or failed",
        "parameters": [RUN],
        "responses": {"200": json_response("Counts", "DeliveryLatency"), **ERRORS},
    }},
    "/api/stats/ctit": {"get": {
        "summary": "Install deliveries by click-to-install time: where click injection (very "
                   "short) and click spam (very long) show",
        "parameters": [RUN],
        "responses": {"200": json_response("Counts", "ClickToInstall"), **ERRORS},
    }},
}
