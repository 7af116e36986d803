"""The live loop's admin API under /api/: networks and campaigns configured at run time, and
reconciliation. Thin: parse, call ``sandbox.live``, answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, jsonify, request

from sandbox.errors import SandboxError
from sandbox.live import stored
from sandbox.live.reconcile import parse_scope, reconcile
from sandbox.store import Store
from sandbox.web.context import sandbox
from sandbox.web.errors import refuse_query_parameters

live_api = Blueprint("live_api", __name__, url_prefix="/api")
NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


def _name(name: str, what: str) -> str:
    if not 1 <= len(name) <= 64 or not set(name) <= NAME_CHARS:
        raise SandboxError(f"{what} name {name!r} is not valid: expected 1-64 of "
                           "A-Z a-z 0-9 . _ -", code=f"bad_{what}", field="name")
    return name


def _listing(kind: str) -> list[dict[str, Any]]:
    store = sandbox().store
    if kind == "network":
        return list(stored.stored_data(store)["networks"])
    return [stored.campaign_view(store, c["name"]) for c in store.live_config.campaigns()]


@dataclass(frozen=True)
class _Kind:
    """How one configurable kind (network, campaign) is viewed, stored and deleted."""

    view: Callable[[Store, str], dict[str, Any]]
    put: Callable[[Store, str, Any], Any]
    delete: Callable[[Store, str], None]


KINDS = {
    "network": _Kind(stored.network_view, stored.put_network, stored.delete_network),
    "campaign": _Kind(stored.campaign_view, stored.put_campaign, stored.delete_campaign),
}


def _register(kind: str, ops: _Kind) -> None:
    """GET /api/<kind>s, and GET/PUT/DELETE /api/<kind>s/<name>: one rule for both kinds."""
    plural = f"/{kind}s"

    def list_all() -> Response:
        refuse_query_parameters()
        return jsonify({f"{kind}s": _listing(kind)})

    def one(name: str) -> Response:
        store = sandbox().store
        name = _name(name, kind)
        if request.method == "PUT":
            ops.put(store, name, request.get_json(silent=True))
            return jsonify(ops.view(store, name))
        view = ops.view(store, name)  # a 404 for an unknown name, before anything changes
        if request.method == "DELETE":
            ops.delete(store, name)
        return jsonify(view)

    live_api.add_url_rule(plural, f"list_{kind}s", list_all, methods=["GET"])
    live_api.add_url_rule(f"{plural}/<name>", f"{kind}", one, methods=["GET", "PUT", "DELETE"])


for _kind, _ops in KINDS.items():
    _register(_kind, _ops)


@live_api.get("/reconcile")
def reconcile_endpoint() -> Response:
    store = sandbox().store
    result = reconcile(store, parse_scope(store, request.args))
    response = jsonify(result)
    response.status_code = 200 if result["ok"] else 417
    return response
