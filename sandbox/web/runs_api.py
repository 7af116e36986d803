"""The JSON API of scenario runs and the delivery log: /api/runs, /api/deliveries, resend.

Thin: parse, call sandbox/delivery/query.py or resend.py, answer. Shapes are documented in
sandbox/web/apidoc/delivery.py.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from sandbox.delivery.background import parse_run_request, start_run, stop_run
from sandbox.delivery.query import delivery_one, delivery_page, run_one, run_page
from sandbox.delivery.resend import resend
from sandbox.web.context import sandbox

runs_api = Blueprint("runs_api", __name__, url_prefix="/api")


@runs_api.get("/runs")
def list_runs() -> Response:
    return jsonify(run_page(sandbox().store, request.args))


@runs_api.post("/runs")
def create_run() -> Response:
    """The server delivers a scenario (``run --server``) and logs it here; 202 at once, then
    watch /api/runs/<id>."""
    context = sandbox()
    run_id = start_run(context.store, parse_run_request(request.get_json(silent=True)),
                       clock=context.clock)
    response = jsonify(run_one(context.store, run_id))
    response.status_code = 202
    response.headers["Location"] = f"/api/runs/{run_id}"
    return response


@runs_api.post("/runs/<id:run_id>/stop")
def stop(run_id: int) -> Response:
    """Stop sending (the postbacks in flight finish); the run is marked interrupted."""
    context = sandbox()
    stop_run(context.store, run_id, clock=context.clock)
    return jsonify(run_one(context.store, run_id))


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
