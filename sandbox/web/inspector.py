"""The web inspector at /ui/: postbacks (live), one postback, channels, charts; deliveries and
runs live in inspector_runs.py.

Every page renders the dict its JSON twin in /api/ answers (named in each page's footer), plus
presentation helpers. Captured content is hostile: Jinja escapes everything, pages carry no
inline script, and a Content-Security-Policy header allows scripts from /static/ only.
``inspector`` groups the pages (/ui) and their JSON endpoints (/api) under one registration.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, render_template, request

from sandbox.errors import NotFound, SandboxError
from sandbox.query import stats
from sandbox.query.builder import DEFAULT_COUNT
from sandbox.query.conditions import format_count
from sandbox.query.listing import VERDICT_FILTERS, one, parse_query, parse_reveal
from sandbox.query.listing import page as postbacks_page
from sandbox.query.search import summary
from sandbox.web import inspector_charts
from sandbox.web.context import sandbox
from sandbox.web.inspector_api import (
    api_json,
    assertion_for,
    check_origin,
    event_names_from,
    inspector_api,
    per_minute_from,
    run_param,
)
from sandbox.web.inspector_format import body_display, curl_command, human_size
from sandbox.web.inspector_runs import outbound
from sandbox.web.page_headers import CONTENT_SECURITY_POLICY as CONTENT_SECURITY_POLICY
from sandbox.web.page_headers import PAGE_HEADERS, is_page

VERDICTS = VERDICT_FILTERS
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
LIST_PARAMS = ("channel", "method", "verdict", "q", "limit")

ui = Blueprint("ui", __name__, url_prefix="/ui", template_folder="templates")
inspector = Blueprint("inspector", __name__)
ui.register_blueprint(outbound)  # nested: same headers, origin check and error page
inspector.register_blueprint(ui)
inspector.register_blueprint(inspector_api)
ui.before_request(check_origin)


@inspector.after_app_request
def secure_headers(response: Response) -> Response:
    """On every answer under /ui/, a 404 or 405 that matched no page included."""
    if is_page(request.path):
        response.headers.update(PAGE_HEADERS)
    return response


@ui.errorhandler(SandboxError)
def error_page(error: SandboxError) -> tuple[str, int]:
    return render_template("error.html", error=error.to_dict()["error"]), error.status


@ui.app_template_filter("size")
def _size(value: int | None) -> str:
    return "" if value is None else human_size(int(value))


def _where_lines() -> list[str]:
    """Conditions from the filter form (one a line) or repeated where= parameters."""
    return [
        line.strip()
        for value in request.args.getlist("where")
        for line in value.splitlines()
        if line.strip()
    ]


@ui.get("/")
def postbacks() -> str:
    where = _where_lines()
    error = None
    page: dict[str, Any] = {"postbacks": [], "next_cursor": None, "count": 0}
    try:
        query = parse_query(request.args, where=where)
        page = postbacks_page(sandbox().store, query, reveal=parse_reveal(request.args),
                              clock=sandbox().clock)
    except SandboxError as problem:
        error = problem.to_dict()["error"]
    filters = {name: request.args.get(name, "") for name in LIST_PARAMS}
    kept = [(k, v) for k, v in filters.items() if v] + [("where", w) for w in where]
    live = not request.args.get("cursor") and request.args.get("order", "desc") == "desc"
    return render_template(
        "postbacks.html",
        page=page,
        rows=[summary(view) for view in page["postbacks"]],
        error=error,
        filters=filters,
        where_text="\n".join(where),
        filter_query=urlencode(kept),
        live=live and error is None,
        channels=[c["channel"] for c in api_json("api.list_channels")["channels"]],
        verdicts=VERDICTS,
        methods=METHODS,
        stored=sandbox().store.captures.count(),
        last_id=sandbox().store.captures.last_id(),
        twin="/api/postbacks" + (f"?{urlencode(kept)}" if kept else ""),
    )


@ui.get("/postbacks/<id:capture_id>")
def postback(capture_id: int) -> str:
    # What people see is masked unless ?reveal=1; replay alone sends the exact request.
    view = one(sandbox().store, capture_id, reveal=parse_reveal(request.args))
    if view is None:
        raise NotFound(f"no postback with id {capture_id}", field="id")
    built = assertion_for(view, [], DEFAULT_COUNT)
    return render_template(
        "postback.html",
        view=view,
        body=body_display(view),
        curl=curl_command(view, request.host_url),
        built=built,
        assertion_json=json.dumps(built["assertion"], indent=2, ensure_ascii=False),
        count_text=format_count(built["assertion"]["count"]),
        replay_url=request.host_url.rstrip("/") + view["path"],  # replay adds the query
        twin=f"/api/postbacks/{capture_id}",
    )


@ui.get("/channels")
def channels() -> str:
    listing = api_json("api.list_channels")
    details = [api_json("api.get_channel", name=c["channel"]) for c in listing["channels"]]
    return render_template(
        "channels.html", listing=listing, details=details, twin="/api/channels"
    )


@ui.get("/charts")
def charts() -> str:
    per_minute = per_minute_from(request.args)
    events = event_names_from(request.args)
    channel = request.args.get("channel", "")
    run_id = run_param(request.args)  # the twins: /api/stats/delivery-latency and /ctit?run=
    latency = stats.delivery_latency(sandbox().store, run_id=run_id)
    ctit = stats.click_to_install(sandbox().store, run_id=run_id)
    return render_template(
        "charts.html",
        per_minute=per_minute,
        events=events,
        latency=latency,
        ctit=ctit,
        minute_chart=inspector_charts.minute_bars(per_minute),
        event_chart=inspector_charts.event_bars(events),
        latency_chart=inspector_charts.latency_chart(latency),
        ctit_chart=inspector_charts.ctit_chart(ctit),
        run_query=f"?{urlencode({'run': latency['run']})}" if latency["run"] else "",
        channel=channel,
        minutes=len(per_minute["minutes"]),
        channels=[c["channel"] for c in api_json("api.list_channels")["channels"]],
        twin="/api/stats/postbacks-per-minute" + (f"?{urlencode({'channel': channel})}"
                                                  if channel else ""),
    )
