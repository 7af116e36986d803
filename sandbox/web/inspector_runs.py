"""The inspector's outbound pages: deliveries (with their attempts) and scenario runs.

Each page renders the dict its JSON twin answers (/api/deliveries, /api/deliveries/<id>,
/api/runs, /api/runs/<id>, /api/stats/delivery-latency and /api/stats/ctit); the queries stay
in sandbox/delivery/query.py and sandbox/query/stats.py. Re-send goes through
POST /api/deliveries/<id>/resend from static/delivery.js (same-origin checked by the gate).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, render_template, request

from sandbox.delivery.query import KINDS
from sandbox.errors import SandboxError
from sandbox.query import stats
from sandbox.store.deliveries import STATES
from sandbox.web import inspector_charts
from sandbox.web.context import sandbox
from sandbox.web.inspector_api import api_json
from sandbox.web.inspector_format import duration_text

FILTERS = ("run", "network", "state", "kind")
TIMELINE_WIDTH = 240  # the latency bar's full width in the attempt timeline (SVG units)

outbound = Blueprint("outbound", __name__)


@outbound.app_template_filter("duration")
def _duration(run: Mapping[str, Any]) -> str:
    return duration_text(run["started_at"], run["finished_at"])


def latency_bars(attempts: list[Mapping[str, Any]]) -> list[int]:
    """Each attempt's latency as a bar width, the slowest one full width."""
    slowest = max((a["latency_ms"] or 0 for a in attempts), default=0) or 1
    return [max(round(TIMELINE_WIDTH * (a["latency_ms"] or 0) / slowest), 1) for a in attempts]


@outbound.get("/deliveries")
def deliveries() -> str:
    filters = {name: request.args.get(name, "") for name in FILTERS}
    kept = [(name, value) for name, value in filters.items() if value]
    error = None
    page: dict[str, Any] = {"deliveries": [], "next_cursor": None, "count": 0}
    try:
        page = api_json("runs_api.list_deliveries")
    except SandboxError as problem:
        error = problem.to_dict()["error"]
    return render_template(
        "deliveries.html", page=page, filters=filters, error=error, states=STATES, kinds=KINDS,
        filter_query=urlencode(kept),
        twin="/api/deliveries" + (f"?{urlencode(kept)}" if kept else ""),
    )


@outbound.get("/deliveries/<id:delivery_id>")
def delivery(delivery_id: int) -> str:
    detail = api_json("runs_api.get_delivery", delivery_id=delivery_id)
    return render_template(
        "delivery.html", delivery=detail, bars=latency_bars(detail["attempt_log"]),
        timeline_width=TIMELINE_WIDTH, twin=f"/api/deliveries/{delivery_id}",
    )


@outbound.get("/runs")
def runs() -> str:
    page = api_json("runs_api.list_runs")
    return render_template("runs.html", page=page, twin="/api/runs")


@outbound.get("/runs/<id:run_id>")
def run(run_id: int) -> str:
    detail = api_json("runs_api.get_run", run_id=run_id)
    store = sandbox().store
    latency = stats.delivery_latency(store, run_id=run_id)
    ctit = stats.click_to_install(store, run_id=run_id)
    return render_template(
        "run.html", run=detail, latency=latency, ctit=ctit,
        latency_chart=inspector_charts.latency_chart(latency),
        ctit_chart=inspector_charts.ctit_chart(ctit),
        twin=f"/api/runs/{run_id}",
    )
