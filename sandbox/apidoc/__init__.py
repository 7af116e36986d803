"""OpenAPI paths and schemas of each API surface, one module per topic, merged by openapi.py.

A module defines ``PATHS`` (OpenAPI path items) and optionally ``SCHEMAS``; use the helpers in
sandbox/openapi.py (``ref``, ``json_response``, ``param``, ``ERRORS``).
"""
