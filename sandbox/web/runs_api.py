"""The JSON API of scenario runs and the delivery log: /api/runs, /api/deliveries, resend.

Thin: parse, call sandbox/delivery/query.py or resend.py, answer. Shapes are documented in
sandbox/apidoc/delivery.py.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from sandbox.delivery.query import delivery_one, delivery_page, run_one, run_page
from sandbox.delivery.resend import resend
from sandbox.web.context import sandbox

runs_api = Blueprint("runs_api", __name__, url_prefix="/api")


@runs_api.get("/runs")
def list_runs() -> Response:
    return jsonify(run_page(sandbox().store, request.args))


@runs_api.get("/runs/<id:run_id>")
def get_run(run_id: int) -> Response:
    return jsonify(run_one(sandbox().store, run_id))


@runs_api.get("/deliveries")
def list_deliveries() -> Response:
    return jsonify(delivery_page(sandbox().store, request.args))


@runs_api.get("/deliveries/<id:delivery_id>")
def get_delivery(delivery_id: int) -> Response:
    return jsonify(delivery_one(sandbox().store, delivery_id))


@runs_api.post("/deliveries/<id:delivery_id>/resend")
def resend_delivery(delivery_id: int) -> Response:
    context = sandbox()
    return jsonify(resend(context.store, delivery_id, context.clock))
