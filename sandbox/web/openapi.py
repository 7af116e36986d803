"""The OpenAPI 3.1 document of the sandbox's own HTTP API, served at /api/openapi.json.

Each surface documents its paths in ``sandbox/web/apidoc/<topic>.py`` (``PATHS``, ``SCHEMAS``);
this module merges them. A test checks that its paths are exactly the app's routes and that
real responses validate against these schemas, so it cannot drift from the code.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from sandbox import __version__
from sandbox.web import apidoc
from sandbox.web.apidoc import captures, parts


def _parts() -> list[Any]:
    """Other surfaces document their paths in ``sandbox/web/apidoc/<topic>.py`` (PATHS, SCHEMAS)."""
    return [
        importlib.import_module(f"{apidoc.__name__}.{m.name}")
        for m in sorted(pkgutil.iter_modules(apidoc.__path__), key=lambda m: m.name)
    ]


def document() -> dict[str, Any]:
    paths, schemas = dict(captures.PATHS), dict(parts.SCHEMAS)
    for part in _parts():
        paths.update(getattr(part, "PATHS", {}))
        schemas.update(getattr(part, "SCHEMAS", {}))
    return {
        "openapi": "3.1.0",
        "info": {"title": "postback-sandbox API", "version": __version__},
        "paths": paths,
        "components": {"schemas": schemas},
    }
