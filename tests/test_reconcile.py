"""GET /api/reconcile: a channel's postbacks against the clicks issued and the installs
attributed; 200 when everything reconciles, 417 (like a failed assertion) otherwise."""

from __future__ import annotations

import uuid

import httpx
import pytest

from sandbox.store.deliveries import AttemptEvent, AttemptRecord, DeliveryRecord
from tests.live_helpers import IDFV, click, configure, network_spec, wait_for_deliveries
from tests.test_live_loop import click_and_install, delivered_timeline, eventually


@pytest.fixture
def loop(client, served):
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
    wait_for_deliveries(served)


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
        {"install_id": install_id, "deliveries": 2, "accepted": 2}]


@pytest.fixture
def over_http(server):
    """A fresh network and campaign on a real server, delivering to its own receiver."""
    network = f"net-{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=server.url, timeout=10) as http:
        http.put(f"/api/networks/{network}",
                 json=network_spec(server.url, network)).raise_for_status()
        http.put(f"/api/campaigns/{network}-launch", json={
            "network": network, "redirect": "https://apps.apple.com/app/id1?ct={click_id}",
        }).raise_for_status()
        yield http, network


@pytest.mark.slow
def test_a_resent_install_postback_is_reported_as_postbacked_twice(over_http):
    """A re-send is one more attempt on the same delivery row; its 2xx counts all the same."""
    http, network = over_http
    click_id, install = click_and_install(http, network)
    view = delivered_timeline(http, click_id, network)
    delivery_id = next(e["attempt"]["delivery_id"] for e in view["entries"]
                       if e["kind"] == "attempt")
    resent = http.post(f"/api/deliveries/{delivery_id}/resend")
    assert resent.status_code == 200, resent.text
    assert eventually(lambda: http.get(f"/api/postbacks?channel={network}").json()["count"] == 2)
    answer = http.get("/api/reconcile", params={"channel": network})
    assert answer.status_code == 417, answer.json()
    body = answer.json()
    assert body["installs_postbacked_more_than_once"]["items"] == [
        {"install_id": install["install_id"], "deliveries": 1, "accepted": 2}]
    assert [d["click_id"] for d in body["duplicates"]["items"]] == [click_id]
