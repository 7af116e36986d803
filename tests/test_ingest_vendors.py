"""The MMP ingest API: canonical S2S installs/events, and AppsFlyer- and Adjust-shaped
endpoints answering like the real APIs, with requests shaped like the vendors' documented
examples (see the README), including their error cases. Every request is recorded on channel
``mmp``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.errors import SandboxError
from sandbox.live.ingest import parse_event, parse_install
from sandbox.web.config_file import apply_config_file
from tests.live_helpers import IDFA, IDFV, click, configure, wait_for_deliveries

AF_ID = "1415211453000-6513894"
AF_EXAMPLE = {
    "appsflyer_id": AF_ID, "customer_user_id": "example_customer_id_123",
    "eventName": "af_purchase",
    "eventValue": json.dumps({"af_revenue": "4.99", "af_currency": "USD",
                              "af_content_id": "15854"}),
    "eventCurrency": "USD", "ip": "199.0.2.1", "eventTime": "2026-01-05 12:00:00.000",
    "af_events_api": "true",
}
ADJUST_EXAMPLE = ("s2s=1&app_token=4w565xzmb54d&event_token=f0ob4r"
                  "&idfa=D2CADB5F-410F-4963-AC0C-2A78534BDF1E")


def mmp_captures(client) -> list[dict]:
    return client.get("/api/postbacks?channel=mmp&order=asc").json["postbacks"]


def install(client, **fields) -> dict:
    body = {"platform": "ios", "device": {"idfv": IDFV, "appsflyer_id": AF_ID}, **fields}
    answer = client.post("/mmp/v1/installs", json=body)
    assert answer.status_code == 201, answer.json
    return answer.json


def configure_mmp(tmp_path: Path, store, text: str) -> None:
    path = tmp_path / "sandbox.yaml"
    path.write_text(text)
    apply_config_file(store, path)


# --- canonical S2S ------------------------------------------------------------------------


def test_an_install_with_a_click_id_is_attributed_and_postbacked(client, served, store):
    configure(client)
    click_id = click(client)
    done = install(client, click_id=click_id, att_status="denied")
    assert done["attribution"]["match_type"] == "click_id"
    assert (done["attribution"]["network"], done["attribution"]["campaign"]) == (
        "net1", "launch")
    [postback] = done["postbacks"]
    assert postback["url"] == (f"http://127.0.0.1:9/pb/net1/install?click_id={click_id}"
                               f"&install_id={done['install_id']}"
                               "&idfa=00000000-0000-0000-0000-000000000000")
    wait_for_deliveries(served)
    delivery = client.get(f"/api/deliveries?click_id={click_id}").json["deliveries"][0]
    assert (delivery["run_id"], delivery["kind"], delivery["attempts"]) == (None, "install", 3)
    [capture] = mmp_captures(client)
    assert capture["path"] == "/mmp/v1/installs" and capture["response"]["status"] == 201
    # Interpreted by the capture desk like any postback: parsed body, keys pulled out.
    assert capture["json"]["click_id"] == click_id and capture["keys"]["click_id"] == click_id


def test_device_id_match_within_the_lookback_attributes_without_a_click_id(client, clock):
    configure(client, lookback={"click": "1h"})
    click_id = click(client, idfa=IDFA)
    assert install(client, device={"idfa": IDFA})["attribution"]["click_id"] == click_id
    clock.advance(7200)
    late = install(client, device={"idfa": IDFA})
    assert late["attribution"]["match_type"] == "organic" and late["postbacks"] == []


def test_an_unknown_click_id_is_organic_with_a_note(client):
    configure(client)
    done = install(client, click_id="never-issued")
    assert done["attribution"]["match_type"] == "organic"
    assert "never issued" in done["attribution"]["note"]


def test_an_event_renders_its_networks_template(client, served):
    configure(client)
    done = install(client, click_id=click(client))
    answer = client.post("/mmp/v1/events", json={
        "install_id": done["install_id"], "name": "af_purchase", "revenue": 4.99,
        "currency": "USD"})
    assert answer.status_code == 201
    assert answer.json["postbacks"][0]["url"].endswith("event=af_purchase&revenue=4.99"
                                                       "&currency=USD")
    other = client.post("/mmp/v1/events", json={"device": {"idfv": IDFV}, "name": "level"})
    assert other.status_code == 201 and other.json["postbacks"] == []
    wait_for_deliveries(served)


@pytest.mark.parametrize("path,body,field", [
    ("/mmp/v1/installs", {"device": {"idfv": IDFV}}, "platform"),
    ("/mmp/v1/installs", {"platform": "ios", "device": {}}, "device"),
    ("/mmp/v1/installs", {"platform": "ios", "device": {"idfa": "not-a-uuid"}}, "device.idfa"),
    ("/mmp/v1/installs", {"platform": "ios", "device": {"idfv": IDFV}, "att_status": 9},
     "att_status"),
    ("/mmp/v1/installs", {"platform": "ios", "device": {"idfv": IDFV},
                          "install_time": "yesterday"}, "install_time"),
    ("/mmp/v1/installs", {"platform": "ios", "device": {"idfv": IDFV},
                          "install_time": 1.5e115}, "install_time"),  # past datetime's range
    ("/mmp/v1/events", {"name": "af_purchase", "install_id": "x", "event_time": -1},
     "event_time"),
    ("/mmp/v1/events", {"install_id": "x"}, "name"),
    ("/mmp/v1/events", {"name": "af_purchase"}, "install_id"),
    ("/mmp/v1/events", {"name": "af_purchase", "install_id": "x", "revenue": 1}, "currency"),
    ("/mmp/v1/events", {"name": "af_purchase", "install_id": "nope"}, "install_id"),
])
def test_canonical_mistakes_get_4xx_naming_the_field_and_are_recorded(client, path, body,
                                                                      field):
    answer = client.post(path, json=body)
    assert 400 <= answer.status_code < 500
    assert answer.json["error"]["field"] == field
    [capture] = mmp_captures(client)
    assert capture["refused"].startswith(answer.json["error"]["code"])
    assert capture["response"]["status"] == answer.status_code


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.sampled_from(
                        ["platform", "device", "idfa", "click_id", "name", "install_id",
                         "revenue", "currency", "att_status", "install_time", "params"]),
                        inner, max_size=5), max_leaves=12))
def test_canonical_parsers_answer_a_request_or_a_clear_error(body):
    for parse in (parse_install, parse_event):
        try:
            parse(body)
        except SandboxError as exc:
            assert exc.field and exc.message


# --- AppsFlyer ----------------------------------------------------------------------------


def test_appsflyer_documented_example_is_accepted(client, served, store):
    configure(client)
    install(client, click_id=click(client))
    answer = client.post("/mmp/appsflyer/inappevent/id525463029", json=AF_EXAMPLE,
                         headers={"authentication": "dev-key"})
    assert answer.status_code == 200 and answer.data == b"ok"
    wait_for_deliveries(served)
    event = store.connection().execute("SELECT * FROM events").fetchone()
    assert (event["name"], event["revenue"], event["currency"], event["event_at"]) == (
        "af_purchase", 4.99, "USD", "2026-01-05T12:00:00.000000Z")
    assert event["install_id"] is not None and event["dropped"] is None


def test_appsflyer_bare_ios_app_id_answers_200_but_drops(client, store):
    answer = client.post("/mmp/appsflyer/inappevent/525463029", json=AF_EXAMPLE,
                         headers={"authentication": "dev-key"})
    assert answer.status_code == 200 and answer.data == b"ok"
    capture = mmp_captures(client)[0]
    assert "lacks the 'id' prefix" in capture["refused"]
    assert capture["response"]["status"] == 200
    event = store.connection().execute("SELECT dropped FROM events").fetchone()
    assert event["dropped"].startswith("dropped: iOS app id '525463029'")


@pytest.mark.parametrize("app_id,headers,body,status,field", [
    ("id525463029", {}, AF_EXAMPLE, 401, "authentication"),
    ("id525463029", {"authentication": "wrong"}, AF_EXAMPLE, 401, "authentication"),
    ("not an app", {"authentication": "k"}, AF_EXAMPLE, 400, "app_id"),
    ("com.example.game", {"authentication": "k"}, {**AF_EXAMPLE, "appsflyer_id": None}, 400,
     "appsflyer_id"),
    ("com.example.game", {"authentication": "k"}, {**AF_EXAMPLE, "appsflyer_id": "abc"}, 400,
     "appsflyer_id"),
    ("com.example.game", {"authentication": "k"}, {**AF_EXAMPLE, "eventName": ""}, 400,
     "eventName"),
    ("com.example.game", {"authentication": "k"}, {**AF_EXAMPLE, "eventValue": "{bad"}, 400,
     "eventValue"),
    ("com.example.game", {"authentication": "k"}, {**AF_EXAMPLE, "eventTime": "2026-01-05"},
     400, "eventTime"),
    ("com.example.game", {"authentication": "k"}, {**AF_EXAMPLE, "pad": "x" * 1100}, 413,
     "body"),
])
def test_appsflyer_bad_requests_answer_like_appsflyer(client, tmp_path, store, app_id, headers,
                                                      body, status, field):
    configure_mmp(tmp_path, store, "mmp:\n  appsflyer:\n    dev_key: k\n")
    answer = client.post(f"/mmp/appsflyer/inappevent/{app_id}", json=body, headers=headers)
    assert answer.status_code == status
    assert answer.json["error"]["field"] == field
    assert mmp_captures(client)[0]["refused"] is not None


# --- Adjust -------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST-query", "POST-form"])
def test_adjust_documented_example_is_accepted(client, store, method):
    if method == "GET":
        answer = client.get(f"/mmp/adjust/event?{ADJUST_EXAMPLE}")
    elif method == "POST-query":
        answer = client.post(f"/mmp/adjust/event?{ADJUST_EXAMPLE}")
    else:
        answer = client.post("/mmp/adjust/event", data=ADJUST_EXAMPLE,
                             content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 200 and answer.json == {"status": "OK"}
    event = store.connection().execute("SELECT name, source FROM events").fetchone()
    assert tuple(event) == ("f0ob4r", "adjust")


def test_adjust_event_token_maps_to_the_apps_event_name(client, tmp_path, store):
    configure_mmp(tmp_path, store, "app:\n  name: Demo\n  ios: {app_id: 1}\n"
                                   "  event_tokens: {af_purchase: f0ob4r}\n")
    answer = client.get(f"/mmp/adjust/event?{ADJUST_EXAMPLE}&revenue=5.49&currency=EUR"
                        '&callback_params={"order":"A1"}&created_at_unix=1767571200')
    assert answer.status_code == 200
    row = store.connection().execute("SELECT * FROM events").fetchone()
    assert (row["name"], row["revenue"], row["currency"], row["event_at"]) == (
        "af_purchase", 5.49, "EUR", "2026-01-05T00:00:00.000000Z")
    assert json.loads(row["params_json"])["order"] == "A1"


ADJUST_CONFIG = "mmp:\n  adjust:\n    app_token: 4w565xzmb54d\n    s2s_token: secret-token\n"


@pytest.mark.parametrize("query,headers,status,message", [
    (ADJUST_EXAMPLE, {}, 401, "Failed to authorize request"),
    (ADJUST_EXAMPLE, {"Authorization": "Bearer nope"}, 401, "Failed to authorize request"),
    (ADJUST_EXAMPLE.replace("s2s=1&", ""), {}, 400, "s2s=1 is required"),
    (ADJUST_EXAMPLE.replace("4w565xzmb54d", "4W565"), {}, 400, "Invalid app token"),
    (ADJUST_EXAMPLE.replace("4w565xzmb54d", "abcdefabcdef"), {}, 404, "App token not found"),
    (ADJUST_EXAMPLE.replace("f0ob4r", "F0OB4R"), {}, 400, "Invalid event token"),
    (ADJUST_EXAMPLE.split("&idfa")[0], {}, 404, "Device not found"),
    (ADJUST_EXAMPLE + "&revenue=abc&currency=EUR", {}, 400, "Invalid revenue"),
    (ADJUST_EXAMPLE + "&revenue=1.5", {}, 400, "Invalid revenue"),
    (ADJUST_EXAMPLE + '&callback_params={"a":{"b":1}}', {}, 400, "Invalid callback parameters"),
])
def test_adjust_bad_requests_answer_like_adjust(client, tmp_path, store, query, headers, status,
                                                message):
    configure_mmp(tmp_path, store, ADJUST_CONFIG)
    good = {"Authorization": "Bearer secret-token"}
    answer = client.get(f"/mmp/adjust/event?{query}", headers=headers or (
        good if status != 401 else {}))
    assert answer.status_code == status
    assert answer.json["error"]["message"].startswith(f"Event request failed ({message}")
    assert mmp_captures(client)[0]["refused"] is not None


def test_adjust_session_of_a_new_device_is_an_attributed_install(client, served, store):
    configure(client)
    click_id = click(client, gaid="38400000-8cf0-11bd-b23e-10b96e40000d")
    query = "s2s=1&app_token=4w565xzmb54d&gps_adid=38400000-8cf0-11bd-b23e-10b96e40000d"
    assert client.get(f"/mmp/adjust/session?{query}").json == {"status": "OK"}
    [row] = store.installs.by_click(click_id)
    assert (row.platform, row.match_type, row.source) == (
        "android", "id_matching", "adjust")
    assert client.get(f"/mmp/adjust/session?{query}").status_code == 200
    names = [r[0] for r in store.connection().execute("SELECT name FROM events")]
    assert names == ["session"]
    wait_for_deliveries(served)
