"""The JSON API under /api/: postbacks, channels, health. Thin: parse, call the core, answer."""

from __future__ import annotations

import json
from collections.abc import Iterator

from flask import Blueprint, Response, jsonify, request

from sandbox import __version__
from sandbox.capture.channels import parse_answer
from sandbox.capture.forwarding import parse_forward
from sandbox.capture.raw_body import shown_body
from sandbox.capture.record import CHANNEL_PATTERN
from sandbox.capture.trust import parse_verification, verification_view
from sandbox.errors import NotFound, SandboxError
from sandbox.names import NAME
from sandbox.query.listing import export, one, page, parse_query, parse_reveal
from sandbox.resources import bundled_scenario, scenarios_dir
from sandbox.store.retention import pruned_count
from sandbox.web import openapi
from sandbox.web.context import sandbox

api = Blueprint("api", __name__, url_prefix="/api")
SCENARIO_NAME = NAME


def _channel_name(name: str) -> str:
    if not CHANNEL_PATTERN.fullmatch(name):
        raise SandboxError(
            f"channel name {name!r} is not valid: expected 1-64 of A-Z a-z 0-9 . _ -",
            code="bad_channel", field="channel",
        )
    return name


@api.get("/health")
def health() -> Response:
    store = sandbox().store
    problem = store.write_health.problem()  # a load from a shared map: cheap enough to poll
    reason = {"reason": problem} if problem else {}
    return jsonify({"status": "degraded" if problem else "ok", **reason, "version": __version__,
                    "postbacks": store.captures.count(), "pruned": pruned_count(store)})


@api.get("/openapi.json")
def openapi_document() -> Response:
    return jsonify(openapi.document())


@api.get("/postbacks")
def list_postbacks() -> Response:
    query = parse_query(request.args, where=request.args.getlist("where"))
    context = sandbox()
    return jsonify(page(context.store, query, reveal=parse_reveal(request.args),
                        clock=context.clock))


@api.delete("/postbacks")
def delete_postbacks() -> Response:
    channel = request.args.get("channel")
    deleted = sandbox().store.captures.delete(_channel_name(channel) if channel else None)
    return jsonify({"deleted": deleted})


@api.get("/postbacks/<id:capture_id>")
def get_postback(capture_id: int) -> Response:
    view = one(sandbox().store, capture_id, reveal=parse_reveal(request.args))
    if view is None:
        raise NotFound(f"no postback with id {capture_id}", field="id")
    return jsonify(view)


@api.get("/postbacks/<id:capture_id>/body")
def get_postback_body(capture_id: int) -> Response:
    shown = shown_body(sandbox().store, capture_id, reveal=parse_reveal(request.args))
    if shown is None:
        raise NotFound(f"no postback with id {capture_id}", field="id")
    body, content_type = shown
    return Response(body, content_type=content_type, headers={
        "Content-Disposition": f'attachment; filename="postback-{capture_id}.body"'})


@api.get("/export")
def export_postbacks() -> Response:
    query = parse_query(request.args, where=request.args.getlist("where"))
    reveal = parse_reveal(request.args)
    store = sandbox().store

    def lines() -> Iterator[str]:
        for view in export(store, query.filters, reveal=reveal, residual=query.residual):
            yield json.dumps(view, ensure_ascii=False) + "\n"

    return Response(lines(), content_type="application/x-ndjson")


@api.get("/channels")
def list_channels() -> Response:
    store = sandbox().store
    counts = {name: (count, newest) for name, count, newest in store.captures.channel_counts()}
    names = sorted(set(counts) | set(store.channels.configured()))
    channels = [
        {
            "channel": name,
            "postbacks": counts.get(name, (0, 0))[0],
            "last_id": counts.get(name, (0, None))[1],
            "configured": store.channels.get(name) is not None,
        }
        for name in names
    ]
    return jsonify({"channels": channels})


def _channel_body(name: str, *, reveal: bool = False) -> dict:
    stored = sandbox().store.channels.get(name)
    answer = parse_answer(stored["answer"] if stored else {})
    return {
        "channel": name,
        "configured": stored is not None,
        "answer": answer.to_dict(),
        "verification": verification_view(stored["verification"] if stored else None,
                                          reveal=reveal),
        "forward": stored["forward"] if stored else None,
        "requests": stored["requests"] if stored else 0,
        "postbacks": sandbox().store.captures.count_channel(name),
    }


@api.get("/channels/<name>")
def get_channel(name: str) -> Response:
    return jsonify(_channel_body(_channel_name(name), reveal=parse_reveal(request.args)))


@api.put("/channels/<name>")
def put_channel(name: str) -> Response:
    _channel_name(name)
    document = request.get_json(silent=True)
    if not isinstance(document, dict):
        raise SandboxError(
            'expected a JSON object such as {"answer": {"status": 500, "fail_first": 2}, '
            '"verification": {"kind": "query_token", "token": {"env": "NET_TOKEN"}}}',
            code="bad_json", field="body",
        )
    unknown = sorted(set(document) - {"answer", "verification", "forward"})
    if unknown:
        raise SandboxError(f"{unknown[0]}: unknown field; expected answer, verification or "
                           "forward", code="bad_channel_config", field=unknown[0])
    # A part left out keeps what is stored; an explicit null clears it.
    stored = sandbox().store.channels.get(name) or {}
    raw_answer = document["answer"] if "answer" in document else stored.get("answer")
    raw_answer = {} if raw_answer is None else raw_answer
    raw_verification = document.get("verification", stored.get("verification"))
    raw_forward = document.get("forward", stored.get("forward"))
    parse_answer(raw_answer)  # validate all three before storing
    parse_verification(raw_verification)
    parse_forward(raw_forward)
    sandbox().store.channels.put(name, raw_answer, raw_verification, raw_forward)
    return jsonify(_channel_body(name))


@api.delete("/channels/<name>")
def delete_channel(name: str) -> Response:
    removed = sandbox().store.channels.delete(_channel_name(name))
    if not removed:
        raise NotFound(f"channel {name!r} has no configuration", field="channel")
    return jsonify(_channel_body(name))


@api.get("/scenarios")
def list_scenarios() -> Response:
    names = sorted(p.stem for p in scenarios_dir().glob("*.yaml"))
    return jsonify({"scenarios": [{"name": n, "url": f"/api/scenarios/{n}"} for n in names]})


@api.get("/scenarios/<name>")
def get_scenario(name: str) -> Response:
    if not SCENARIO_NAME.fullmatch(name):
        raise NotFound(f"no bundled scenario named {name[:80]!r}", field="name")
    try:
        path = bundled_scenario(name)
    except FileNotFoundError:
        raise NotFound(f"no bundled scenario named {name!r}", field="name") from None
    return Response(path.read_text(encoding="utf-8"), content_type="application/yaml")
