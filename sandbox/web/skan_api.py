"""The sandbox's SKAN / AdAttributionKit signing key over HTTP: /api/skan/...

Thin: parse, call sandbox/skan/keyring.py, answer. Shapes are documented in
sandbox/web/apidoc/skan.py. Every route refuses query parameters (it takes none), so a typo is
a clear 400 rather than silently ignored.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from sandbox.skan.keyring import current_key, key_view, keys_view, rotate
from sandbox.web.context import sandbox
from sandbox.web.errors import refuse_query_parameters

skan_api = Blueprint("skan_api", __name__, url_prefix="/api/skan")


@skan_api.get("/public-key")
def public_key() -> Response:
    refuse_query_parameters()
    context = sandbox()
    return jsonify(key_view(current_key(context.store, context.clock)))


@skan_api.get("/keys")
def list_keys() -> Response:
    refuse_query_parameters()
    context = sandbox()
    return jsonify(keys_view(context.store, context.clock))


@skan_api.post("/keys/rotate")
def rotate_key() -> Response:
    refuse_query_parameters()
    context = sandbox()
    return jsonify(key_view(rotate(context.store, context.clock)))
