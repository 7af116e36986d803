"""``/api/assert``: 200 when every assertion holds, 417 when one fails (so `curl --fail` fails).

POST takes one assertion document or a list; GET takes the URL form for curl.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from sandbox.errors import SandboxError
from sandbox.query.assertions import Result, assertion_from_params, check
from sandbox.query.matchers import parse_assertion
from sandbox.web.context import sandbox

assert_api = Blueprint("assert_api", __name__, url_prefix="/api")
MAX_ASSERTIONS = 50


def _answer(results: list[Result], *, single: bool) -> Response:
    ok = all(result.ok for result in results)
    body: dict[str, Any]
    if single:
        body = results[0].to_dict()
    else:
        body = {"ok": ok, "results": [result.to_dict() for result in results]}
    response = jsonify(body)
    response.status_code = 200 if ok else 417
    return response


def _run(documents: list[Any]) -> list[Result]:
    context = sandbox()
    limit = context.settings.max_wait
    assertions = []
    for index, document in enumerate(documents):
        try:
            assertions.append(parse_assertion(document, max_within=limit, max_during=limit))
        except SandboxError as exc:
            if len(documents) > 1:
                exc.message = f"assertion {index}: {exc.message}"
                exc.field = f"[{index}].{exc.field}" if exc.field else f"[{index}]"
            raise
    return [check(context.store, assertion, context.clock) for assertion in assertions]


@assert_api.post("/assert")
def post_assert() -> Response:
    document = request.get_json(silent=True)
    if isinstance(document, dict):
        return _answer(_run([document]), single=True)
    if isinstance(document, list) and 0 < len(document) <= MAX_ASSERTIONS:
        return _answer(_run(document), single=False)
    raise SandboxError(
        f"expected a JSON assertion object or a list of 1 to {MAX_ASSERTIONS} of them",
        code="bad_assertion", field="body",
    )


@assert_api.get("/assert")
def get_assert() -> Response:
    params = {name: request.args.getlist(name) for name in request.args}
    return _answer(_run([assertion_from_params(params)]), single=True)
