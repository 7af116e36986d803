"""/api/runs and /api/deliveries: views, filters, cursor pagination, resend, and the OpenAPI
shapes the inspector pages are built on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from werkzeug.test import Client

from sandbox.clock import FakeClock
from sandbox.delivery.run import RunOptions, ScenarioRun
from sandbox.scenarios.load import scenario_from_data
from sandbox.store import Store
from sandbox.web import openapi
from tests.delivery_helpers import Answer, ScriptedServer, small_scenario

DOC = openapi.document()


def assert_valid(body: Any, schema_name: str) -> None:
    registry = Registry().with_resource("urn:openapi", Resource.from_contents(
        {**DOC, "$schema": "https://json-schema.org/draft/2020-12/schema"}))
    validator = Draft202012Validator(
        {"$ref": f"urn:openapi#/components/schemas/{schema_name}"}, registry=registry)
    errors = list(validator.iter_errors(body))
    assert not errors, errors[0].message


@pytest.fixture(scope="module")
def plain() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    yield server
    server.close()


@pytest.fixture
def run_id(plain: ScriptedServer, store: Store, clock: FakeClock) -> int:
    """One run of a small scenario: the first two requests fail with 503, the rest land (the
    second delivery is sent while the first waits out its backoff, so both are retried)."""
    plain.answer(Answer(503), Answer(503), Answer(200))
    data = small_scenario(f"{plain.url}/pb/small/install?click_id={{click_id}}",
                          delivery={"concurrency": 1, "retry": {"attempts": 3, "jitter": 0}})
    outcome = ScenarioRun(store, scenario_from_data(data), RunOptions(), clock=clock).deliver()
    assert outcome.stats.retried == 2 and outcome.stats.failed == 0
    return outcome.run_id


def test_runs_list_and_detail(client: Client, run_id: int) -> None:
    page = client.get("/api/runs").json
    assert_valid(page, "RunPage")
    assert [run["id"] for run in page["runs"]] == [run_id]
    detail = client.get(f"/api/runs/{run_id}").json
    assert_valid(detail, "Run")
    assert (detail["scenario"], detail["state"], detail["mode"]) == ("small", "finished", "fast")
    sent = detail["summary"]["sent"]
    assert sent > 5 and detail["deliveries"] == {
        "pending": 0, "retrying": 0, "delivered": sent, "failed": 0}
    assert detail["summary"]["attempts"] == sent + 2


def test_deliveries_page_with_a_cursor(client: Client, run_id: int) -> None:
    first = client.get(f"/api/deliveries?run={run_id}&limit=3").json
    assert_valid(first, "DeliveryPage")
    assert first["count"] == 3 and first["next_cursor"]
    second = client.get(f"/api/deliveries?run={run_id}&limit=3&cursor={first['next_cursor']}")
    ids = [d["id"] for d in first["deliveries"] + second.json["deliveries"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 6
    ascending = client.get(f"/api/deliveries?run={run_id}&order=asc&limit=500").json
    assert [d["seq"] for d in ascending["deliveries"]] == sorted(
        d["seq"] for d in ascending["deliveries"])
    assert ascending["next_cursor"] is None


@pytest.mark.parametrize("name", ["network", "state", "kind", "click_id"])
def test_delivery_filters(client: Client, run_id: int, name: str) -> None:
    every = client.get("/api/deliveries?limit=500").json["deliveries"]
    value = every[3][name]
    found = client.get(f"/api/deliveries?{name}={value}&limit=500").json["deliveries"]
    assert found and all(d[name] == value for d in found)
    assert len(found) == sum(1 for d in every if d[name] == value)


def test_a_delivery_with_its_attempts(client: Client, run_id: int) -> None:
    retried = [d for d in client.get("/api/deliveries?limit=500").json["deliveries"]
               if d["attempts"] > 1]
    assert len(retried) == 2
    detail = client.get(f"/api/deliveries/{retried[0]['id']}").json
    assert_valid(detail, "DeliveryDetail")
    assert [a["status"] for a in detail["attempt_log"]] == [503, 200]
    assert detail["query"]["click_id"] == [detail["click_id"]]
    assert detail["state"] == "delivered" and detail["status"] == 200


def test_resend_logs_one_more_attempt(client: Client, plain: ScriptedServer,
                                      run_id: int) -> None:
    target = client.get("/api/deliveries?limit=1").json["deliveries"][0]
    plain.answer(Answer(202, body="again"))
    answer = client.post(f"/api/deliveries/{target['id']}/resend")
    assert answer.status_code == 200
    assert_valid(answer.json, "DeliveryDetail")
    assert answer.json["attempts"] == target["attempts"] + 1
    last = answer.json["attempt_log"][-1]
    assert (last["status"], last["response"]["body"]) == (202, "again")
    assert len(plain.seen) == 1 and plain.seen[0].query == target["url"].split("?", 1)[1]


@pytest.mark.parametrize(
    "url,status,field",
    [
        ("/api/deliveries?state=lost", 400, "state"),
        ("/api/deliveries?kind=click", 400, "kind"),
        ("/api/deliveries?run=x", 400, "run"),
        ("/api/deliveries?limit=0", 400, "limit"),
        ("/api/runs?cursor=-1", 400, "cursor"),
        ("/api/runs/999", 404, "run_id"),
        ("/api/deliveries/999", 404, "delivery_id"),
    ],
)
def test_errors_name_the_parameter(client: Client, url: str, status: int, field: str) -> None:
    answer = client.get(url)
    assert answer.status_code == status
    assert answer.json["error"]["field"] == field


def test_resend_of_an_unknown_delivery_is_404(client: Client) -> None:
    answer = client.post("/api/deliveries/12345/resend")
    assert answer.status_code == 404 and answer.json["error"]["field"] == "delivery_id"
