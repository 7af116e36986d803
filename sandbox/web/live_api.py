"""The live loop's admin API under /api/: networks and campaigns configured at run time, and
reconciliation. Thin: parse, call ``sandbox.live``, answer."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from sandbox.errors import SandboxError
from sandbox.live import stored
from sandbox.live.reconcile import parse_scope, reconcile
from sandbox.web.context import sandbox
from sandbox.web.errors import refuse_query_parameters

live_api = Blueprint("live_api", __name__, url_prefix="/api")
NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


def _name(name: str, what: str) -> str:
    if not 1 <= len(name) <= 64 or not set(name) <= NAME_CHARS:
        raise SandboxError(f"{what} name {name!r} is not valid: expected 1-64 of "
                           "A-Z a-z 0-9 . _ -", code=f"bad_{what}", field="name")
    return name


@live_api.get("/networks")
def list_networks() -> Response:
    refuse_query_parameters()
    return jsonify({"networks": stored.stored_data(sandbox().store)["networks"]})


@live_api.get("/networks/<name>")
def get_network(name: str) -> Response:
    return jsonify(stored.network_view(sandbox().store, _name(name, "network")))


@live_api.put("/networks/<name>")
def put_network(name: str) -> Response:
    store = sandbox().store
    stored.put_network(store, _name(name, "network"), request.get_json(silent=True))
    return jsonify(stored.network_view(store, name))


@live_api.delete("/networks/<name>")
def delete_network(name: str) -> Response:
    store = sandbox().store
    view = stored.network_view(store, _name(name, "network"))
    stored.delete_network(store, name)
    return jsonify(view)


@live_api.get("/campaigns")
def list_campaigns() -> Response:
    refuse_query_parameters()
    store = sandbox().store
    return jsonify({"campaigns": [stored.campaign_view(store, c["name"])
                                  for c in store.live_config.campaigns()]})


@live_api.get("/campaigns/<name>")
def get_campaign(name: str) -> Response:
    return jsonify(stored.campaign_view(sandbox().store, _name(name, "campaign")))


@live_api.put("/campaigns/<name>")
def put_campaign(name: str) -> Response:
    store = sandbox().store
    stored.put_campaign(store, _name(name, "campaign"), request.get_json(silent=True))
    return jsonify(stored.campaign_view(store, name))


@live_api.delete("/campaigns/<name>")
def delete_campaign(name: str) -> Response:
    store = sandbox().store
    view = stored.campaign_view(store, _name(name, "campaign"))
    stored.delete_campaign(store, name)
    return jsonify(view)


@live_api.get("/reconcile")
def reconcile_endpoint() -> Response:
    store = sandbox().store
    result = reconcile(store, parse_scope(store, request.args))
    response = jsonify(result)
    response.status_code = 200 if result["ok"] else 417
    return response
