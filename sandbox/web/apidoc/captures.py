"""The core of the API: health, captured postbacks (list, one, body, export, delete),
channels and their settings, and the bundled scenarios."""

from __future__ import annotations

from typing import Any

from sandbox.web.apidoc.parts import (
    CAPTURE_ID,
    CHANNEL,
    ERRORS,
    FILTERS,
    NAME_SCHEMA,
    json_response,
    param,
    ref,
)
from sandbox.web.apidoc.trust import REVEAL_PARAM

PATHS: dict[str, Any] = {
    "/api/health": {"get": {"summary": "Liveness and the number of stored postbacks",
                            "responses": {"200": json_response("Healthy", "Health")}}},
    "/api/ping": {"get": {"summary": "Liveness without touching the database",
                          "responses": {"200": {"description": "Alive"}}}},
    "/api/openapi.json": {"get": {"summary": "This document",
                                  "responses": {"200": {"description": "OpenAPI 3.1"}}}},
    "/api/postbacks": {
        "get": {
            "summary": "List captured postbacks, newest first, with cursor pagination",
            "parameters": [
                *FILTERS,
                param("limit", schema={"type": "integer", "minimum": 1, "maximum": 500}),
                param("cursor", description="next_cursor of the previous page"),
                param("order", schema={"enum": ["desc", "asc"]}),
                REVEAL_PARAM,
            ],
            "responses": {"200": json_response("A page", "PostbackPage"), **ERRORS},
        },
        "delete": {
            "summary": "Delete captured postbacks, of one channel or all",
            "parameters": [param("channel", schema={
                "type": "string", "pattern": "^[A-Za-z0-9._-]{0,64}$",
                "description": "empty or left out: every channel"})],
            "responses": {"200": json_response("How many were deleted", "Deleted"),
                          **ERRORS, "503": json_response("Disk full: no room", "Error")},
        },
    },
    "/api/postbacks/{capture_id}": {"get": {
        "summary": "One captured postback",
        "parameters": [CAPTURE_ID, REVEAL_PARAM],
        "responses": {"200": json_response("The postback", "Postback"), **ERRORS},
    }},
    "/api/postbacks/{capture_id}/body": {"get": {
        "summary": "The body bytes as received, with the original content type",
        "description": "Credentials are masked unless reveal=1: values the postback's "
                       "views mask (credential-named headers, query and form fields, JSON "
                       "keys, configured channel secrets) and credential-named JSON and "
                       "name=value pairs become ****. A body with nothing to mask is the "
                       "exact bytes; a compressed one is masked decoded and compressed "
                       "again; one that could not be decoded needs reveal=1 (403).",
        "parameters": [CAPTURE_ID, REVEAL_PARAM],
        "responses": {"200": {"description": "The bytes, masked unless revealed"},
                      "403": json_response("A compressed body that cannot be masked",
                                           "Error"),
                      **ERRORS},
    }},
    "/api/export": {"get": {
        "summary": "Every matching postback as NDJSON, oldest first",
        "parameters": [*FILTERS, REVEAL_PARAM],
        "responses": {"200": {"description": "One Postback per line",
                              "content": {"application/x-ndjson": {}}}, **ERRORS},
    }},
    "/api/channels": {"get": {
        "summary": "Channels that have captures or settings",
        "responses": {"200": json_response("Channels", "ChannelList")},
    }},
    "/api/scenarios": {"get": {
        "summary": "The bundled scenario files",
        "responses": {"200": json_response("Scenario names", "ScenarioList")},
    }},
    "/api/scenarios/{name}": {"get": {
        "summary": "One bundled scenario file as YAML",
        "parameters": [param("name", "path", NAME_SCHEMA)],
        "responses": {"200": {"description": "YAML",
                              "content": {"application/yaml": {}}}, **ERRORS},
    }},
    "/api/channels/{name}": {
        method: {
            "summary": summary,
            "parameters": [CHANNEL, *([REVEAL_PARAM] if method == "get" else [])],
            **({"requestBody": {"content": {"application/json": {"schema": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"answer": ref("ChannelAnswer"),
                               "verification": ref("Verification"),
                               "forward": ref("Forward")},
            }}}}} if method == "put" else {}),
            "responses": {"200": json_response("The channel", "Channel"), **ERRORS},
        }
        for method, summary in (
            ("get", "A channel's answer settings and counters"),
            ("put", "Set how a channel answers (restarts its request counter)"),
            ("delete", "Remove a channel's settings (its captures stay)"),
        )
    },
}
