"""Request bodies as JSON for the Flask routes: the one parser, its nesting bounded first.

Every route reads JSON through ``request.get_json`` (or ``current_app.json.loads``), which
lands in ``BoundedJSONProvider.loads``. Python's parser recurses once per level, so a body
nested a few thousand deep ends in RecursionError; the depth is measured here first, without
recursion and without parsing, and a body deeper than ``max_json_depth`` is refused with a
400 in the one error shape.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from flask.json.provider import DefaultJSONProvider

from sandbox.errors import SandboxError

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def nesting_depth(text: str) -> int:
    """How deep the brackets of a JSON text nest, outside strings (0 for a scalar)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def check_depth(text: str, limit: int) -> None:
    # Nesting needs an opening bracket per level: most bodies cannot be too deep at all.
    if text.count("[") + text.count("{") > limit and nesting_depth(text) > limit:
        raise SandboxError(f"body: JSON nested deeper than {limit} levels; not parsed",
                           code="json_too_deep", field="body")


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with request bodies refused past the sandbox's ``max_json_depth``."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        text = s.decode(json.detect_encoding(s), "surrogatepass") if isinstance(s, bytes) else s
        check_depth(text, self._app.extensions["sandbox"].settings.max_json_depth)
        return json.loads(text, **kwargs)
