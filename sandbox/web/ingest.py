"""The fake MMP's ingest API under /mmp/: canonical S2S installs and events, and AppsFlyer-
and Adjust-shaped endpoints. Thin: parse, call the live core, answer.

Every request is recorded as a capture on channel ``mmp`` (the inspector and /api/postbacks
show it) with the answer it got; a refused one carries why, and so does an AppsFlyer event
that is answered 200 but dropped. Postbacks go out after the answer is decided, in the
background, through the delivery engine.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Blueprint, Response, current_app, request

from sandbox.capture.channels import Answer
from sandbox.capture.record import InboundRequest
from sandbox.clock import iso_utc
from sandbox.delivery.plan import Planned
from sandbox.errors import SandboxError
from sandbox.live.config import LiveModel
from sandbox.live.ingest import EventRequest, parse_event, parse_install
from sandbox.live.postbacks import LiveDelivery
from sandbox.live.service import Ingested, ingest_event, ingest_install
from sandbox.live.stored import current_model
from sandbox.live.vendors import (
    ADJUST_OK,
    AF_OK,
    adjust_event,
    adjust_session,
    appsflyer_event,
)
from sandbox.web.capture_asgi import scope_headers, scope_path
from sandbox.web.capture_rules import text_of
from sandbox.web.context import sandbox
from sandbox.web.errors import error_answer
from sandbox.web.wsgi_bridge import SCOPE_KEY

log = logging.getLogger("sandbox.web")
INGEST_CHANNEL = "mmp"
ingest = Blueprint("ingest", __name__, url_prefix="/mmp")


@dataclass
class Outcome:
    status: int
    content_type: str
    body: str
    planned: list[Planned] = field(default_factory=list)
    note: str | None = None  # stored as the capture's ``refused`` (an accepted-but-dropped event)


def live_delivery() -> LiveDelivery:
    """The process's background sender (tests wait on it)."""
    context = sandbox()
    found: LiveDelivery | None = current_app.extensions.get("sandbox.live_delivery")
    if found is None:
        found = current_app.extensions["sandbox.live_delivery"] = LiveDelivery(
            context.store, context.clock)
    return found


def _inbound(body: bytes) -> InboundRequest:
    scope = request.environ[SCOPE_KEY]  # the head as the capture path reads it
    return InboundRequest(
        method=request.method, path=scope_path(scope), query_string=text_of(
            scope["query_string"]), headers=scope_headers(scope),
        body=body, remote_addr=request.remote_addr, received_at=iso_utc(sandbox().clock.now()),
        body_size=len(body), channel=INGEST_CHANNEL,
    )


def _body() -> bytes:
    limit = sandbox().settings.max_body
    if (request.content_length or 0) > limit:
        raise SandboxError(f"body of {request.content_length} bytes exceeds the limit of "
                           f"{limit} bytes", code="body_too_large", status=413, field="body")
    return request.get_data(cache=True)


def handle(work: Callable[[LiveModel], Outcome]) -> Response:
    """Run ``work``, record the request as a capture with its answer, then send postbacks."""
    context = sandbox()
    body = b""
    try:
        body = _body()
        outcome = work(current_model(context.store))
    except SandboxError as exc:
        outcome = _refused(exc)
    except Exception as exc:  # noqa: BLE001 - still recorded, and answered in the error shape
        log.exception("ingest request to %s failed", request.path)
        outcome = _refused(SandboxError(f"internal error: {type(exc).__name__}",
                                        code="internal_error", status=500))
    context.desk.keep(_inbound(body), Answer(
        outcome.status, {"Content-Type": outcome.content_type}, outcome.body, 0), outcome.note)
    live_delivery().send(outcome.planned)
    return Response(outcome.body, outcome.status, content_type=outcome.content_type)


def _refused(exc: SandboxError) -> Outcome:
    return Outcome(exc.status, "application/json", error_answer(exc).body or "",
                   note=f"{exc.code}: {exc.message}")


def _created(done: Ingested) -> Outcome:
    return Outcome(201, "application/json", json.dumps(done.to_dict()), done.planned)


def _json_body() -> object:
    try:
        return current_app.json.loads(request.get_data(cache=True) or b"null")
    except ValueError:
        raise SandboxError("body: expected a JSON object", code="bad_json",
                           field="body") from None


@ingest.post("/v1/installs")
def installs() -> Response:
    context = sandbox()
    return handle(lambda model: _created(ingest_install(
        context.store, model, parse_install(_json_body()), now=context.clock.now())))


@ingest.post("/v1/events")
def events() -> Response:
    context = sandbox()
    return handle(lambda model: _created(ingest_event(
        context.store, model, parse_event(_json_body()), now=context.clock.now())))


def _accepted(model: LiveModel, event: EventRequest, ok: Outcome) -> Outcome:
    context = sandbox()
    done = ingest_event(context.store, model, event, now=context.clock.now(),
                        require_install=False)
    return Outcome(ok.status, ok.content_type, ok.body, done.planned, event.dropped)


@ingest.post("/appsflyer/inappevent/<app_id>")
def appsflyer(app_id: str) -> Response:
    ok = Outcome(AF_OK.status, AF_OK.content_type, AF_OK.body)
    return handle(lambda model: _accepted(model, appsflyer_event(
        app_id, request.headers.get("authentication"), request.get_data(cache=True),
        model.mmp), ok))


def _adjust_params() -> dict[str, list[str]]:
    return {name: request.values.getlist(name) for name in request.values}


@ingest.route("/adjust/event", methods=["GET", "POST"])
def adjust_event_endpoint() -> Response:
    ok = Outcome(ADJUST_OK.status, ADJUST_OK.content_type, ADJUST_OK.body)
    return handle(lambda model: _accepted(model, adjust_event(
        _adjust_params(), request.headers.get("Authorization"), model.mmp,
        model.scenario.app), ok))


@ingest.route("/adjust/session", methods=["GET", "POST"])
def adjust_session_endpoint() -> Response:
    context = sandbox()

    def work(model: LiveModel) -> Outcome:
        session = adjust_session(_adjust_params(), request.headers.get("Authorization"),
                                 model.mmp)
        now = context.clock.now()
        if context.store.installs.by_device(session.matchable_ids) is None:
            done = ingest_install(context.store, model, session, now=now)
        else:
            done = ingest_event(context.store, model, EventRequest(
                name="session", device_ids=session.matchable_ids,
                event_time=session.install_time, source="adjust"), now=now)
        return Outcome(ADJUST_OK.status, ADJUST_OK.content_type, ADJUST_OK.body, done.planned)

    return handle(work)
