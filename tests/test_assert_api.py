"""/api/assert over the in-process app on a fake clock: waiting costs no real time."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sandbox.clock import FakeClock


class ScriptedClock(FakeClock):
    """A fake clock that runs actions when simulated time passes their moment."""

    def __init__(self) -> None:
        super().__init__()
        self.actions: list[tuple[float, Callable[[], object]]] = []

    def at(self, seconds: float, action: Callable[[], object]) -> None:
        self.actions.append((seconds, action))

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        due = [a for a in self.actions if a[0] <= self.monotonic()]
        self.actions = [a for a in self.actions if a[0] > self.monotonic()]
        for _, action in due:
            action()


@pytest.fixture
def clock() -> ScriptedClock:
    return ScriptedClock()


def purchase(client, click_id: str = "c1", revenue: float = 4.99, channel: str = "net1"):
    return client.post(f"/pb/{channel}?event=af_purchase&click_id={click_id}",
                       json={"revenue": revenue})


def test_holds_with_200_and_reports_what_matched(client):
    purchase(client)
    answer = client.post("/api/assert", json={
        "channel": "net1", "where": {"query.event": "af_purchase", "json.revenue": {"gte": 0.99}},
        "count": 1})
    assert answer.status_code == 200
    body = answer.json
    assert body["ok"] is True and body["matched"] == 1 and body["waited"] == 0


def test_fails_with_417_and_near_misses_naming_the_differing_fields(client):
    purchase(client, revenue=0.5)
    answer = client.post("/api/assert", json={
        "channel": "net1", "where": {"query.event": "af_purchase", "json.revenue": {"gte": 0.99}}})
    assert answer.status_code == 417
    miss = answer.json["near_misses"][0]
    assert miss["differences"] == [
        {"field": "json.revenue", "expected": {"gte": 0.99}, "actual": 0.5}]


def test_url_form_with_plain_equalities_and_where_conditions(client):
    purchase(client, revenue=2)
    answer = client.get("/api/assert?channel=net1&query.event=af_purchase"
                        "&where=json.revenue%3E%3D0.99&count=1")
    assert answer.status_code == 200, answer.json
    assert client.get("/api/assert?channel=net1&where=json.revenue%3E5").status_code == 417


def test_count_zero_asserts_nothing_arrived(client):
    assert client.post("/api/assert", json={"channel": "x", "count": 0}).status_code == 200
    client.get("/pb/x")
    assert client.post("/api/assert", json={"channel": "x", "count": 0}).status_code == 417


def test_unique_lists_duplicates(client):
    purchase(client, "dup")
    purchase(client, "dup")
    purchase(client, "other")
    answer = client.post("/api/assert", json={"channel": "net1", "unique": "query.click_id"})
    assert answer.status_code == 417
    assert list(answer.json["duplicates"]) == ["dup"]
    assert len(answer.json["duplicates"]["dup"]) == 2


def test_since_id_scopes_to_the_current_test(client):
    old = purchase(client).json["id"]
    assert client.post("/api/assert", json={"since_id": old, "count": 0}).status_code == 200


def test_within_holds_when_it_arrives_late_but_in_time(client, clock):
    clock.at(3.0, lambda: purchase(client))
    answer = client.post("/api/assert", json={"channel": "net1", "within": 10})
    assert answer.status_code == 200
    assert 3.0 <= answer.json["waited"] < 3.2


def test_within_fails_after_the_wait_not_before(client, clock):
    answer = client.post("/api/assert", json={"channel": "net1", "within": 10})
    assert answer.status_code == 417
    assert answer.json["waited"] == pytest.approx(10, abs=0.06)


def test_during_fails_when_a_duplicate_arrives_in_the_window(client, clock):
    purchase(client, "once")
    clock.at(4.0, lambda: purchase(client, "once"))
    answer = client.post("/api/assert", json={
        "channel": "net1", "unique": "query.click_id", "during": 10})
    assert answer.status_code == 417
    assert 4.0 <= answer.json["waited"] < 4.2


def test_during_holds_when_nothing_breaks_it(client, clock):
    answer = client.post("/api/assert", json={"channel": "quiet", "count": 0, "during": 5})
    assert answer.status_code == 200 and answer.json["waited"] >= 5


def test_a_list_must_all_hold(client):
    purchase(client)
    answer = client.post("/api/assert", json=[{"channel": "net1"}, {"channel": "none"}])
    assert answer.status_code == 417
    assert [r["ok"] for r in answer.json["results"]] == [True, False]


@pytest.mark.parametrize(
    "document,field",
    [
        ({"where": {"nonsense.x": 1}}, "where.nonsense.x"),
        ({"where": {"json.revenue": {"regex": "("}}}, "where.json.revenue"),
        ({"count": {"between": [3]}}, "count"),
        ({"within": 10_000}, "within"),
        ({"since": "tuesday"}, "since"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_assertions_are_400_naming_the_part(client, document, field):
    answer = client.post("/api/assert", json=document)
    assert answer.status_code == 400
    assert answer.json["error"]["field"].startswith(field), answer.json


def test_bad_body_is_400(client):
    answer = client.post("/api/assert", data="nope", content_type="application/json")
    assert answer.status_code == 400 and answer.json["error"]["field"] == "body"
