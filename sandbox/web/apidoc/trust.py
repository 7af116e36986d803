"""OpenAPI parts for verification, lint and the admin gate (issue 7).

``Verification`` is a channel's profile as GET/PUT /api/channels/<name> show it; the signing
core validates each kind's fields and names the wrong one, so the schema stays permissive.
``VERDICT_PARAM`` and ``REVEAL_PARAM`` are spliced into the postbacks/export parameters by
sandbox/web/openapi.py.
"""

from __future__ import annotations

from typing import Any

from sandbox.capture.lint import LINT_KINDS
from sandbox.signing import VERDICTS
from sandbox.signing.canonical import ALGORITHMS, CANONICAL_FORMS, ENCODINGS
from sandbox.signing.profiles import PARSERS

SECRET = {
    "anyOf": [
        {"type": "string", "minLength": 1, "description": "inline; shown as **** unless ?reveal=1"},
        {"type": "object", "required": ["env"], "properties": {"env": {"type": "string"}},
         "additionalProperties": False, "description": "read from this environment variable"},
    ]
}

VERDICT_PARAM: dict[str, Any] = {
    "name": "verdict", "in": "query", "required": False,
    "schema": {"enum": [*VERDICTS, "none"]},
    "description": "only postbacks with this verification verdict (none: not verified)",
}
REVEAL_PARAM: dict[str, Any] = {
    "name": "reveal", "in": "query", "required": False,
    "schema": {"enum": ["0", "1", "true", "false"]},
    "description": "1 shows tokens, Authorization values and secrets unmasked",
}

SCHEMAS: dict[str, Any] = {
    "Verification": {
        "type": ["object", "null"],
        "description": "How a channel verifies what it receives; null: it does not.",
        "required": ["kind"],
        "allOf": [{"if": {"properties": {"kind": {"enum": kinds}}},
                   "then": {"required": [needed]}} for needed, kinds in (
            ("token", ["query_token", "header_token"]),
            ("secret", ["hmac", "standard_webhooks"]),
            ("cidrs", ["ip_allowlist"]))],
        "properties": {
            "kind": {"enum": list(PARSERS)},
            "mode": {"enum": ["flag", "enforce"]},
            "cidrs": {"type": "array", "items": {"type": "string"}},
            "token": SECRET,
            "secret": SECRET,
            "param": {"type": "string"},
            "header": {"type": ["string", "null"]},
            "scheme": {"type": ["string", "null"]},
            "canonical": {"enum": list(CANONICAL_FORMS)},
            "template": {"type": ["string", "null"]},
            "algorithm": {"enum": list(ALGORITHMS)},
            "encoding": {"enum": list(ENCODINGS)},
            "query_param": {"type": ["string", "null"]},
            "prefix": {"type": "string"},
            "tolerance_seconds": {"type": "integer", "minimum": 1},
            "trust_apple": {"type": "boolean"},
            "keys": {"type": "array", "items": {"type": "string"}},
        },
    },
    "LintWarning": {
        "type": "object",
        "required": ["kind", "where", "message"],
        "properties": {
            "kind": {"enum": list(LINT_KINDS)},
            "where": {"type": "string"},
            "message": {"type": "string"},
        },
    },
}

PATHS: dict[str, Any] = {}
