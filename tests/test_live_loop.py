"""The live loop end to end, over HTTP only, as a user's system would drive it: a click on the
tracker, an install through the ingest API, the install postback delivered to the sandbox's
own receiver, the click's timeline showing all four, and reconcile agreeing; then a duplicate
and an unknown click id, which reconcile reports."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.live_helpers import IDFV, IOS_UA, network_spec

pytestmark = pytest.mark.slow


def eventually(check: Callable[[], Any], timeout: float = 20) -> Any:
    """Poll a live server until ``check`` answers something true (deliveries run in the
    background there)."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


@pytest.fixture
def live(server):
    """A fresh network and campaign on the live server, delivering to its own receiver."""
    network = f"net-{uuid.uuid4().hex[:8]}"
    http = httpx.Client(base_url=server.url, timeout=10)
    http.put(f"/api/networks/{network}",
             json=network_spec(server.url, network)).raise_for_status()
    http.put(f"/api/campaigns/{network}-launch", json={
        "network": network, "redirect": "https://apps.apple.com/app/id525463029?ct={click_id}",
    }).raise_for_status()
    yield http, network
    http.close()


def click_and_install(http: httpx.Client, network: str) -> tuple[str, dict]:
    clicked = http.get(f"/c/{network}-launch", headers={"User-Agent": IOS_UA})
    assert clicked.status_code == 302
    click_id = clicked.headers["X-Click-Id"]
    assert clicked.headers["Location"].endswith(f"?ct={click_id}")
    installed = http.post("/mmp/v1/installs", json={
        "platform": "ios", "device": {"idfv": IDFV, "ip": "203.0.113.7"},
        "att_status": "authorized", "click_id": click_id})
    assert installed.status_code == 201, installed.text
    return click_id, installed.json()


def delivered_timeline(http: httpx.Client, click_id: str, channel: str) -> dict:
    def ready() -> dict | None:
        view = http.get(f"/api/timeline/{click_id}").json()
        kinds = {entry["kind"] for entry in view["entries"]}
        captured = any(e["kind"] == "capture" and e["capture"]["channel"] == channel
                       for e in view["entries"])
        return view if {"click", "install", "attempt"} <= kinds and captured else None

    view = eventually(ready)
    assert view, f"the postback of click {click_id} was not delivered and captured"
    return view


def test_click_install_postback_timeline_reconcile(live):
    http, network = live
    click_id, install = click_and_install(http, network)
    assert install["attribution"]["match_type"] == "click_id"
    view = delivered_timeline(http, click_id, network)
    kinds = [entry["kind"] for entry in view["entries"]]
    assert kinds.index("click") < kinds.index("install") < kinds.index("attempt")
    attempt = next(e["attempt"] for e in view["entries"] if e["kind"] == "attempt")
    assert (attempt["status"], attempt["kind"], attempt["run_id"]) == (200, "install", None)
    capture = next(e["capture"] for e in view["entries"]
                   if e["kind"] == "capture" and e["capture"]["channel"] == network)
    received = http.get(capture["url"]).json()
    assert received["query"]["install_id"] == [install["install_id"]]
    assert [e["at"] for e in view["entries"]] == sorted(e["at"] for e in view["entries"])
    page = http.get(f"/ui/timeline/{click_id}")
    assert page.status_code == 200 and click_id in page.text
    answer = http.get("/api/reconcile", params={"channel": network})
    assert answer.status_code == 200, answer.json()
    assert answer.json()["checked"] == {"captures": 1, "click_ids": 1}


def test_reconcile_reports_a_duplicate_and_an_unknown_click_id(live):
    http, network = live
    click_id, _ = click_and_install(http, network)
    delivered_timeline(http, click_id, network)
    http.get(f"/pb/{network}/install", params={"click_id": click_id}).raise_for_status()
    http.get(f"/pb/{network}/install", params={"click_id": "no-such-click"}).raise_for_status()
    answer = http.get("/api/reconcile", params={"channel": network})
    assert answer.status_code == 417
    body = answer.json()
    assert [d["click_id"] for d in body["duplicates"]["items"]] == [click_id]
    assert [u["click_id"] for u in body["unknown"]["items"]] == ["no-such-click"]
    assert body["missing"]["count"] == 0
