"""Every error the API answers has one shape: {"error": {status, code, message, field}}."""

from __future__ import annotations

import pytest

from sandbox.web import openapi


def assert_error_shape(answer, status: int) -> None:
    assert answer.status_code == status
    assert answer.headers["Content-Type"].startswith("application/json")
    body = answer.json
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "code", "message", "field"}
    assert body["error"]["status"] == status
    assert body["error"]["message"]


def bad_request_for(path: str, method: str) -> tuple[str, dict]:
    """A request to each documented endpoint that must fail."""
    concrete = path.replace("{capture_id}", "999999").replace("{name}", "bad%20name")
    if method == "put":
        return concrete, {"data": b"not json", "content_type": "application/json"}
    if "{" in path:
        return concrete, {}
    return concrete + "?limit=0&since=never&channel=bad%20name", {}


NEVER_FAIL = ("/api/health", "/api/channels", "/api/openapi.json", "/api/ping", "/api/scenarios")
ENDPOINTS = [
    (path, method) for path, item in openapi.document()["paths"].items() for method in item
    if path not in NEVER_FAIL
]


@pytest.mark.parametrize("path,method", ENDPOINTS)
def test_every_endpoint_errors_in_one_shape(client, path, method):
    url, kwargs = bad_request_for(path, method)
    answer = client.open(url, method=method.upper(), **kwargs)
    assert 400 <= answer.status_code < 500, (url, answer.status_code)
    assert_error_shape(answer, answer.status_code)


@pytest.mark.parametrize(
    "method,url,status",
    [("GET", "/api/nothing-here", 404), ("POST", "/api/health", 405), ("GET", "/ui/x/y/z", 404)],
)
def test_unknown_routes_and_methods_error_in_one_shape(client, method, url, status):
    assert_error_shape(client.open(url, method=method), status)


def test_receiver_refusals_error_in_one_shape(client):
    assert_error_shape(client.get("/pb/bad%20name"), 400)
