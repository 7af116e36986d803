"""GET /api/reconcile: a channel's postbacks against the clicks issued and the installs
attributed; 200 when everything reconciles, 417 (like a failed assertion) otherwise."""

from __future__ import annotations

import pytest

from sandbox.store.deliveries import AttemptEvent, AttemptRecord, DeliveryRecord
from tests.live_helpers import IDFV, click, configure, wait_for_deliveries


@pytest.fixture
def loop(client, wsgi):
    """A network and campaign; ``attributed()`` makes a click and its attributed install."""
    configure(client)

    def attributed(*, postback: bool = True) -> tuple[str, str]:
        click_id = click(client)
        answer = client.post("/mmp/v1/installs", json={
            "platform": "ios", "device": {"idfv": IDFV}, "click_id": click_id})
        if postback:  # what the network's endpoint would have received
            client.get(f"/pb/net1/install?click_id={click_id}")
        return click_id, answer.json["install_id"]

    yield attributed
    wait_for_deliveries(wsgi)


def reconcile(client, query: str = "channel=net1") -> tuple[int, dict]:
    answer = client.get(f"/api/reconcile?{query}")
    return answer.status_code, answer.json


def test_every_attributed_install_postbacked_once_reconciles(client, loop):
    loop()
    loop()
    status, body = reconcile(client)
    assert status == 200 and body["ok"] is True
    assert body["network"] == "net1"  # the network named like the channel
    assert body["checked"] == {"captures": 2, "click_ids": 2}


def test_an_install_without_a_postback_is_missing(client, loop):
    loop()
    click_id, install_id = loop(postback=False)
    status, body = reconcile(client)
    assert status == 417
    assert body["missing"] == {"count": 1, "items": [{"click_id": click_id,
                                                      "install_id": install_id}]}


def test_unknown_click_ids_and_postbacks_without_one_are_reported(client, loop):
    loop()
    client.get("/pb/net1/install?click_id=never-issued")
    no_key = client.get("/pb/net1/install?event=install").json["id"]
    status, body = reconcile(client)
    assert status == 417
    assert [item["click_id"] for item in body["unknown"]["items"]] == ["never-issued"]
    assert body["without_key"]["items"] == [no_key]


def test_duplicates_are_reported_but_a_retry_after_a_failure_is_not(client, loop):
    client.put("/api/channels/net1", json={"answer": {"fail_first": 1}})
    click_id, _ = loop()  # its postback is answered 503: not accepted
    client.get(f"/pb/net1/install?click_id={click_id}")  # the retry, accepted
    assert reconcile(client)[0] == 200
    client.get(f"/pb/net1/install?click_id={click_id}")  # a duplicate
    status, body = reconcile(client)
    assert status == 417
    [duplicate] = body["duplicates"]["items"]
    assert duplicate["click_id"] == click_id and len(duplicate["captures"]) == 2


def test_an_install_delivered_twice_is_reported(client, store, loop):
    click_id, install_id = loop()
    record = DeliveryRecord("pb_x", "install", "net1", "GET", "http://x/", (), None,
                            click_id=click_id, install_id=install_id)
    attempt = AttemptRecord(1, "2026-01-01T00:00:00.000000Z", 200, 1.0, None)
    store.deliveries.write_events(
        [AttemptEvent(key, record, attempt, "delivered", "http://x/", (), attempt.started_at)
         for key in ("a", "b")], {})
    status, body = reconcile(client)
    assert status == 417
    assert body["installs_postbacked_more_than_once"]["items"] == [
        {"install_id": install_id, "deliveries": 2}]


def test_scope_by_network_and_time(client, loop, clock):
    loop(postback=False)
    clock.advance(60)
    since = "2026-01-01T00:00:30Z"
    loop()
    assert reconcile(client, f"channel=net1&since={since}")[0] == 200
    assert reconcile(client, "channel=net1&network=other")[0] == 200
    status, body = reconcile(client, "channel=elsewhere")  # not a network's name: all clicks
    assert status == 417 and body["network"] is None and body["missing"]["count"] == 2


@pytest.mark.parametrize("query,field", [
    ("", "channel"), ("channel=bad%20name", "channel"), ("channel=a&key=event_name", "key"),
    ("channel=a&since=never", "since"), ("channel=a&limit=5", "limit"),
])
def test_bad_parameters_are_refused(client, query, field):
    status, body = reconcile(client, query)
    assert status == 400 and body["error"]["field"] == field
