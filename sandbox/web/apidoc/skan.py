"""OpenAPI for the sandbox's SKAdNetwork / AdAttributionKit signing key (issue 9): /api/skan.

The views are built in sandbox/skan/keyring.py (``key_view``, ``keys_view``). None of these
endpoints takes a query parameter; an unknown one is a 400.
"""

from __future__ import annotations

from typing import Any

from sandbox.web.apidoc.parts import ERRORS, json_response, ref

SCHEMAS: dict[str, Any] = {
    "SkanKey": {
        "type": "object",
        "required": ["key_id", "public_key", "algorithm", "created_at", "retired_at",
                     "current"],
        "additionalProperties": False,
        "properties": {
            "key_id": {"type": "string", "pattern": "^sandbox/[0-9a-f]{16}$",
                       "description": "the key's name: the AdAttributionKit JWS kid"},
            "public_key": {"type": "string",
                           "description": "base64 DER SubjectPublicKeyInfo (Apple's form); "
                                          "add it to a receiver's trusted keys"},
            "algorithm": {"const": "ECDSA P-256 SHA-256"},
            "created_at": {"type": "string"},
            "retired_at": {"type": ["string", "null"],
                           "description": "when a rotation retired it; null: current"},
            "current": {"type": "boolean",
                        "description": "signs new postbacks; retired keys still verify"},
        },
    },
    "SkanKeys": {
        "type": "object",
        "required": ["keys"],
        "additionalProperties": False,
        "properties": {"keys": {"type": "array", "items": ref("SkanKey"),
                                "description": "newest first: the current key, then the "
                                               "retired ones"}},
    },
}

PATHS: dict[str, Any] = {
    "/api/skan/public-key": {
        "get": {
            "summary": "The public key SKAN and AdAttributionKit postbacks are signed with "
                       "(made on first use)",
            "responses": {"200": json_response("The current key", "SkanKey"), **ERRORS},
        },
    },
    "/api/skan/keys": {
        "get": {
            "summary": "Every sandbox signing key, the retired ones included",
            "responses": {"200": json_response("The keys", "SkanKeys"), **ERRORS},
        },
    },
    "/api/skan/keys/rotate": {
        "post": {
            "summary": "Retire the current key (it still verifies) and make a new one",
            "responses": {"200": json_response("The new current key", "SkanKey"), **ERRORS},
        },
    },
}
