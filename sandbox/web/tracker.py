"""The ad network's click tracker: ``GET /c/<campaign>`` records a click and redirects.

``?click_id=`` keeps the caller's click id (else a fresh lower-case UUID); ``?format=json``
answers ``{"click_id", "campaign", "redirect"}`` instead of the 302. Every other parameter is
stored with the click (``idfa``, ``gaid``, ... feed device-id attribution).
"""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, request
from werkzeug.wrappers import Response

from sandbox.live.clicks import record_click
from sandbox.live.stored import current_model
from sandbox.web.context import sandbox

tracker = Blueprint("tracker", __name__, url_prefix="/c")


def _client_ip() -> str | None:
    forwarded = request.headers.get("X-Forwarded-For")
    if forwarded:
        return forwarded.split(",")[0].strip() or None
    return request.remote_addr


@tracker.get("/<campaign>")
def click(campaign: str) -> Response:
    context = sandbox()
    params = {name: request.args.getlist(name) for name in request.args}
    result = record_click(
        context.store, current_model(context.store), campaign, params=params,
        ip=_client_ip(), user_agent=request.headers.get("User-Agent"),
        now=context.clock.now(),
    )
    body = {"click_id": result.click_id, "campaign": result.campaign,
            "network": result.network, "redirect": result.redirect}
    if request.args.get("format") == "json" or result.redirect is None:
        return jsonify(body)
    answer = redirect(result.redirect, code=302)
    answer.headers["X-Click-Id"] = result.click_id
    return answer
