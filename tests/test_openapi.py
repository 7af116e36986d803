"""The OpenAPI document matches the app's routes, and real responses validate against it."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource

from sandbox.web import openapi
from sandbox.web.paths import PING_PATH

DOC = openapi.document()


def app_routes(served) -> set[tuple[str, str]]:
    routes = {(PING_PATH, "get")}
    for rule in served.app.url_map.iter_rules():
        if not rule.rule.startswith(("/api/", "/mmp/", "/c/")):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((path, method.lower()))
    return routes


def test_document_is_valid_openapi():
    validate(DOC)


def test_paths_are_exactly_the_app_routes(served):
    documented = {(path, method) for path, item in DOC["paths"].items() for method in item}
    assert documented == app_routes(served)


def validator_for(schema_name: str) -> Draft202012Validator:
    registry = Registry().with_resource("urn:openapi", Resource.from_contents(
        {**DOC, "$schema": "https://json-schema.org/draft/2020-12/schema"}))
    schema = {"$ref": f"urn:openapi#/components/schemas/{schema_name}"}
    return Draft202012Validator(schema, registry=registry)


def response_schema(path: str, method: str, status: int) -> str:
    content = DOC["paths"][path][method]["responses"][str(status)]["content"]
    return content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]


@pytest.fixture
def populated(client):
    client.get("/pb/net1/x?click_id=a&event=install", headers={"X-A": "1"})
    client.post("/pb/net1", json={"revenue": 1.5})
    client.post("/pb/bin", data=b"\xff\x00", content_type="application/octet-stream")
    client.put("/api/channels/net1", json={"answer": {"status": 202}})
    return client


@pytest.mark.parametrize(
    "method,url,path,status",
    [
        ("get", "/api/health", "/api/health", 200),
        ("get", "/api/postbacks?limit=2", "/api/postbacks", 200),
        ("get", "/api/postbacks/1", "/api/postbacks/{capture_id}", 200),
        ("get", "/api/postbacks/3", "/api/postbacks/{capture_id}", 200),
        ("get", "/api/postbacks/99", "/api/postbacks/{capture_id}", 404),
        ("get", "/api/postbacks?limit=0", "/api/postbacks", 400),
        ("delete", "/api/postbacks?channel=bin", "/api/postbacks", 200),
        ("get", "/api/channels", "/api/channels", 200),
        ("get", "/api/channels/net1", "/api/channels/{name}", 200),
        ("put", "/api/channels/net1", "/api/channels/{name}", 200),
        ("delete", "/api/channels/net1", "/api/channels/{name}", 200),
        ("delete", "/api/channels/none", "/api/channels/{name}", 404),
    ],
)
def test_real_responses_validate(populated, method, url, path, status):
    kwargs = {"json": {"answer": {"delay_ms": 5}}} if method == "put" else {}
    answer = getattr(populated, method)(url, **kwargs)
    assert answer.status_code == status
    errors = list(validator_for(response_schema(path, method, status)).iter_errors(answer.json))
    assert not errors, errors[0].message
