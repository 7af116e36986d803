"""The sandbox's SKAN / AdAttributionKit signing key over HTTP: /api/skan/...

Thin: parse, call sandbox/skan/keyring.py, answer. Shapes are documented in
sandbox/apidoc/skan.py. Every route refuses query parameters (it takes none), so a typo is
a clear 400 rather than silently ignored.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from sandbox.errors import SandboxError
from sandbox.skan.keyring import current_key, key_view, keys_view, rotate
from sandbox.web.context import sandbox

skan_api = Blueprint("skan_api", __name__, url_prefix="/api/skan")


def _no_parameters() -> None:
    if request.args:
        name = next(iter(request.args))
        raise SandboxError(f"unknown parameter {name!r}: this endpoint takes none",
                           code="unknown_parameter", field=name)


@skan_api.get("/public-key")
def public_key() -> Response:
    _no_parameters()
    context = sandbox()
    return jsonify(key_view(current_key(context.store, context.clock)))


@skan_api.get("/keys")
def list_keys() -> Response:
    _no_parameters()
    context = sandbox()
    return jsonify(keys_view(context.store, context.clock))


@skan_api.post("/keys/rotate")
def rotate_key() -> Response:
    _no_parameters()
    context = sandbox()
    return jsonify(key_view(rotate(context.store, context.clock)))
