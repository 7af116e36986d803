"""OpenAPI paths and schemas of each API surface, one module per topic, merged by
sandbox/web/openapi.py.

A module defines ``PATHS`` (OpenAPI path items) and optionally ``SCHEMAS``; use the helpers in
sandbox/web/apidoc/parts.py (``ref``, ``json_response``, ``param``, ``ERRORS``).
"""
