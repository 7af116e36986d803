"""The building blocks every page of the API document uses: shared schemas, parameters,
error answers and small helpers (``ref``, ``json_response``, ``param``)."""

from __future__ import annotations

from typing import Any

from sandbox.names import NAME_PATTERN
from sandbox.web.apidoc.trust import VERDICT_PARAM

NULLABLE_STRING = {"type": ["string", "null"]}
# What the API accepts, stated so that a client (or schemathesis) sends nothing it refuses.
NAME_SCHEMA = {"type": "string", "pattern": NAME_PATTERN}
MAX_ID = 2**63 - 1  # SQLite's largest integer; ids past it are refused
ID_SCHEMA = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
# A capture field of the assertion language, and one condition of its text form.
FIELD_PATTERN = (r"(method|path|channel|body|verdict|click_id|event_name|transaction_id"
                 r"|device_id|revenue|currency|(query|header|form|json)\.[A-Za-z0-9_.\[\]-]+)")
FIELD_SCHEMA = {"type": "string", "pattern": f"^{FIELD_PATTERN}$"}
CONDITION_SCHEMA = {"type": "string", "pattern": (
    f"^!?{FIELD_PATTERN}(\\?|!?=.*|~.+| in .+| contains .+|[<>]=?-?[0-9]+(\\.[0-9]+)?)$")}
MULTI = {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["status", "code", "message", "field"],
                "properties": {
                    "status": {"type": "integer"},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "field": NULLABLE_STRING,
                },
            }
        },
    },
    "Health": {
        "type": "object",
        "required": ["status", "version", "postbacks"],
        "properties": {
            "status": {"enum": ["ok", "degraded"]},
            "reason": {"type": "string", "description": "why degraded (writes failing)"},
            "version": {"type": "string"},
            "postbacks": {"type": "integer"},
            "pruned": {"type": "integer", "description": "captures removed by retention"},
        },
    },
    "Postback": {
        "type": "object",
        "required": ["id", "channel", "method", "path", "query_string", "query", "headers",
                     "body", "body_encoding", "received_at", "keys", "response"],
        "properties": {
            "id": {"type": "integer"},
            "channel": {"type": "string"},
            "method": {"type": "string"},
            "path": {"type": "string"},
            "query_string": {"type": "string"},
            "query": MULTI,
            "headers": {"type": "array", "items": {
                "type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2}},
            "content_type": NULLABLE_STRING,
            "content_encoding": NULLABLE_STRING,
            "body": {"type": "string"},
            "body_encoding": {"enum": ["utf-8", "base64"]},
            "body_text": {"type": "string"},
            "form": {"anyOf": [MULTI, {"type": "null"}]},
            "json": {},
            "body_note": NULLABLE_STRING,
            "body_size": {"type": "integer"},
            "body_text_size": {"type": "integer"},
            "body_url": {"type": "string"},
            "truncated": {"type": "boolean"},
            "truncated_fields": {"type": "array", "items": {"type": "string"}},
            "remote_addr": NULLABLE_STRING,
            "received_at": {"type": "string", "format": "date-time"},
            "keys": {"type": "object", "additionalProperties": NULLABLE_STRING},
            "verdict": NULLABLE_STRING,
            "verdict_detail": {},
            "lint": {"type": "array"},
            "refused": NULLABLE_STRING,
            "forward": {"description": "a tee channel's upstream answer, or null"},
            "response": {
                "type": "object",
                "required": ["status", "headers", "body"],
                "properties": {
                    "status": {"type": "integer"},
                    "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                    "body": {"type": "string"},
                },
            },
        },
    },
    "PostbackPage": {
        "type": "object",
        "required": ["postbacks", "next_cursor", "count"],
        "properties": {
            "postbacks": {"type": "array", "items": {"$ref": "#/components/schemas/Postback"}},
            "next_cursor": NULLABLE_STRING,
            "count": {"type": "integer"},
        },
    },
    "ScenarioList": {
        "type": "object", "required": ["scenarios"],
        "properties": {"scenarios": {"type": "array", "items": {
            "type": "object", "required": ["name", "url"],
            "properties": {"name": {"type": "string"}, "url": {"type": "string"}},
        }}},
    },
    "Deleted": {
        "type": "object", "required": ["deleted"],
        "properties": {"deleted": {"type": "integer"}},
    },
    "ChannelAnswer": {
        "type": "object",
        "properties": {
            "status": {"type": "integer", "minimum": 100, "maximum": 599},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
            "body": NULLABLE_STRING,
            "delay_ms": {"type": "integer", "minimum": 0, "maximum": 60000},
            "fail_first": {"type": "integer", "minimum": 0},
            "fail_status": {"type": "integer", "minimum": 100, "maximum": 599},
            "fail_fraction": {"type": "number", "minimum": 0, "maximum": 1},
            "seed": {"type": "integer", "minimum": 0},
        },
    },
    "Channel": {
        "type": "object",
        "required": ["channel", "configured", "answer", "requests", "postbacks"],
        "properties": {
            "channel": {"type": "string"},
            "configured": {"type": "boolean"},
            "answer": {"$ref": "#/components/schemas/ChannelAnswer"},
            "verification": {"$ref": "#/components/schemas/Verification"},
            "forward": {"$ref": "#/components/schemas/Forward"},
            "requests": {"type": "integer"},
            "postbacks": {"type": "integer"},
        },
    },
    "ChannelList": {
        "type": "object",
        "required": ["channels"],
        "properties": {"channels": {"type": "array", "items": {
            "type": "object",
            "required": ["channel", "postbacks", "last_id", "configured"],
            "properties": {
                "channel": {"type": "string"},
                "postbacks": {"type": "integer"},
                "last_id": {"type": ["integer", "null"]},
                "configured": {"type": "boolean"},
            },
        }}},
    },
}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_response(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref(schema)}}}


ERRORS = {
    "400": json_response("Bad request: the error names the parameter or field", "Error"),
    "404": json_response("Not found", "Error"),
}


def param(name: str, where: str = "query", schema: dict | None = None, **extra: Any) -> dict:
    return {"name": name, "in": where, "schema": schema or {"type": "string"},
            "required": where == "path", **extra}


FILTERS = [
    param("channel"), param("method"),
    param("since", description="ISO-8601 time with a zone; postbacks received at or after it"),
    param("since_id", schema=ID_SCHEMA),
    param("q", description="free text searched in path, query, headers and body"),
    VERDICT_PARAM,
    param("where", schema={"type": "array", "items": {"type": "string"}}, style="form",
          explode=True, description="a condition in the assertion grammar; repeatable"),
    *(param(k) for k in ("click_id", "event_name", "transaction_id", "device_id", "revenue",
                         "currency")),
]
CHANNEL = param("name", "path", NAME_SCHEMA)
CAPTURE_ID = param("capture_id", "path", ID_SCHEMA)
