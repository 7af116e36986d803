"""One timeline per click: ``GET /api/timeline/<click_id>`` and its inspector page
``/ui/timeline/<click_id>``, which renders the same dict."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template

from sandbox.live.timeline import timeline as build_timeline
from sandbox.web.context import sandbox
from sandbox.web.inspector import CONTENT_SECURITY_POLICY

timeline = Blueprint("timeline", __name__, template_folder="templates")


@timeline.get("/api/timeline/<click_id>")
def timeline_json(click_id: str) -> Response:
    return jsonify(build_timeline(sandbox().store, click_id))


@timeline.get("/ui/timeline/<click_id>")
def timeline_page(click_id: str) -> Response:
    view = build_timeline(sandbox().store, click_id)
    html = render_template("timeline.html", timeline=view, twin=f"/api/timeline/{click_id}")
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
