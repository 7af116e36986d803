"""The inspector's JSON endpoints under /api/: the live stream, replay, "assert on this", stats.

Thin: parse, call the core (postback_search, replay, assertion_builder, stats), answer.
``api_json`` lets a page render exactly what its JSON twin answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, jsonify, request

from sandbox.capture.record import CHANNEL_PATTERN
from sandbox.capture.replay import DEFAULT_TIMEOUT, MAX_TIMEOUT
from sandbox.capture.view import capture_view
from sandbox.delivery.replay import replay
from sandbox.errors import NotFound, SandboxError
from sandbox.query import stats
from sandbox.query.builder import (
    DEFAULT_COUNT,
    build_assertion,
    candidate_fields,
    default_selection,
)
from sandbox.query.listing import PostbackQuery, parse_int, parse_query
from sandbox.query.search import Tail, follow
from sandbox.web.context import sandbox

inspector_api = Blueprint("inspector_api", __name__, url_prefix="/api")

STREAM_LIFETIME = 60.0  # seconds; the browser's EventSource reconnects with Last-Event-ID
STREAM_POLL = 0.5
STREAM_HEARTBEAT = 15.0
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def check_origin() -> None:
    """Refuse a state-changing request that a browser sent from another origin (CSRF).

    Browsers send Origin on every cross-origin request and on same-origin fetch() writes;
    clients that are not browsers (curl, the CLI) send none and are not affected.
    """
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        raise SandboxError(
            f"request from origin {origin!r} refused: the inspector only accepts changes "
            f"from its own pages ({request.host})",
            code="bad_origin", status=403, field="Origin",
        )


inspector_api.before_request(check_origin)


def api_json(endpoint: str, **values: Any) -> Any:
    """The JSON an /api view answers, called in this request (a page's JSON twin)."""
    response = current_app.view_functions[endpoint](**values)
    assert isinstance(response, Response)
    return response.get_json()


def capture_or_404(capture_id: int) -> dict[str, Any]:
    row = sandbox().store.captures.get(capture_id)
    if row is None:
        raise NotFound(f"no postback with id {capture_id}", field="id")
    return capture_view(row)


def channel_param(args: Mapping[str, str]) -> str | None:
    name = args.get("channel") or None
    if name is not None and not CHANNEL_PATTERN.fullmatch(name):
        raise SandboxError(
            f"channel name {name!r} is not valid: expected 1-64 of A-Z a-z 0-9 . _ -",
            code="bad_channel", field="channel",
        )
    return name


def search_from_request() -> PostbackQuery:
    return parse_query(request.args, where=request.args.getlist("where"))


def _event(tail: Tail) -> str:
    if tail.heartbeat:
        return ": keep-alive\n\n"
    if tail.reset:
        return "id: 0\nevent: reset\ndata: {}\n\n"
    data = json.dumps({"rows": list(tail.rows), "more": tail.more}, ensure_ascii=False)
    return f"id: {tail.last_id}\nevent: postbacks\ndata: {data}\n\n"


@inspector_api.get("/postbacks/stream")
def stream_postbacks() -> Response:
    search = search_from_request()
    context = sandbox()
    # A reconnecting EventSource sends Last-Event-ID; it wins over the URL's first after_id.
    start = request.headers.get("Last-Event-ID") or request.args.get("after_id")
    after_id = (
        parse_int(start, "after_id") if start else context.store.captures.last_id()
    )

    def events() -> Iterator[str]:
        yield f"retry: 2000\nid: {after_id}\nevent: ready\ndata: {{\"last_id\": {after_id}}}\n\n"
        for tail in follow(
            context.store, search, context.clock, after_id=after_id,
            lifetime=STREAM_LIFETIME, poll=STREAM_POLL, heartbeat=STREAM_HEARTBEAT,
        ):
            yield _event(tail)

    return Response(
        events(), content_type="text/event-stream; charset=utf-8",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@inspector_api.post("/postbacks/<id:capture_id>/replay")
def replay_postback(capture_id: int) -> Response:
    view = capture_or_404(capture_id)
    document = request.get_json(silent=True)
    if not isinstance(document, dict) or "url" not in document:
        raise SandboxError(
            'expected a JSON object such as {"url": "http://127.0.0.1:9000/postback"}',
            code="bad_json", field="url",
        )
    timeout = document.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not (
        0 < timeout <= MAX_TIMEOUT
    ):
        raise SandboxError(
            f"timeout: expected seconds above 0 and at most {MAX_TIMEOUT:g}, got {timeout!r}",
            code="bad_parameter", field="timeout",
        )
    result = replay(view, document["url"], timeout=float(timeout), clock=sandbox().clock)
    return jsonify({"id": capture_id, **result.to_dict()})


def assertion_for(view: Mapping[str, Any], fields: list[str], count: str) -> dict[str, Any]:
    """The built assertion plus every field offered (the "assert on this" panel)."""
    chosen = fields or default_selection(view)
    built = build_assertion(view, chosen, server_url=request.host_url, count=count)
    return {**built, "candidates": candidate_fields(view)}


@inspector_api.get("/postbacks/<id:capture_id>/assertion")
def postback_assertion(capture_id: int) -> Response:
    view = capture_or_404(capture_id)
    count = request.args.get("count") or DEFAULT_COUNT
    return jsonify(assertion_for(view, request.args.getlist("field"), count))


def per_minute_from(args: Mapping[str, str]) -> dict[str, Any]:
    minutes = parse_int(
        args.get("minutes", str(stats.DEFAULT_MINUTES)), "minutes", low=1, high=stats.MAX_MINUTES
    )
    context = sandbox()
    return stats.postbacks_per_minute(
        context.store, now=context.clock.now(), minutes=minutes, channel=channel_param(args)
    )


def event_names_from(args: Mapping[str, str]) -> dict[str, Any]:
    limit = parse_int(
        args.get("limit", str(stats.MAX_EVENT_NAMES)), "limit", low=1, high=stats.MAX_EVENT_NAMES
    )
    return stats.event_names(sandbox().store, channel=channel_param(args), limit=limit)


@inspector_api.get("/stats/postbacks-per-minute")
def postbacks_per_minute() -> Response:
    return jsonify(per_minute_from(request.args))


@inspector_api.get("/stats/event-names")
def event_names() -> Response:
    return jsonify(event_names_from(request.args))


def run_param(args: Mapping[str, str]) -> int | None:
    """The ``run`` filter of the delivery charts: a stored run's id, or None for all."""
    if not args.get("run"):
        return None
    run_id = parse_int(args["run"], "run", low=1)
    if sandbox().store.runs.get(run_id) is None:
        raise NotFound(f"no run with id {run_id}", field="run")
    return run_id


def only_run_param(args: Mapping[str, str]) -> int | None:
    """``run_param`` for an endpoint that takes nothing else: other parameters are refused."""
    unknown = sorted(set(args) - {"run"})
    if unknown:
        raise SandboxError(f"unknown parameter {unknown[0]!r}: this chart takes only run=<id>",
                           code="bad_parameter", field=unknown[0])
    return run_param(args)


@inspector_api.get("/stats/delivery-latency")
def delivery_latency() -> Response:
    return jsonify(stats.delivery_latency(sandbox().store, run_id=only_run_param(request.args)))


@inspector_api.get("/stats/ctit")
def click_to_install() -> Response:
    return jsonify(stats.click_to_install(sandbox().store, run_id=only_run_param(request.args)))
