"""One JSON error shape for every error the sandbox answers, written here and nowhere else:
the Flask app's handlers, the capture path, the admin gate and the ASGI dispatch all answer
``error_answer`` of a ``SandboxError``."""

from __future__ import annotations

import json
import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from sandbox.errors import SandboxError
from sandbox.store.records import Answer

log = logging.getLogger("sandbox.web")


def refuse_query_parameters() -> None:
    """For endpoints that take no query parameters: name the first one sent."""
    if request.args:
        name = next(iter(request.args))
        raise SandboxError(f"{name}: unknown parameter; this endpoint takes none",
                           code="bad_parameter", field=name)


def error_answer(error: SandboxError) -> Answer:
    """The answer to a request that failed: its status, the error shape as JSON."""
    return Answer(error.status, {"Content-Type": "application/json"},
                  json.dumps(error.to_dict()), 0)


def error_response(error: SandboxError) -> Response:
    answer = error_answer(error)
    return Response(answer.body, answer.status, headers=answer.headers)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(SandboxError)
    def domain_error(error: SandboxError) -> Response:
        return error_response(error)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        code = (error.name or "error").lower().replace(" ", "_")
        message = error.description or error.name
        response = error_response(SandboxError(message, code=code, status=status))
        if status == 405 and error.get_headers():
            allow = dict(error.get_headers()).get("Allow")
            if allow:
                response.headers["Allow"] = allow
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unexpected error")
        return error_response(
            SandboxError(
                f"internal error: {type(error).__name__}", code="internal_error", status=500
            )
        )
