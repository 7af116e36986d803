"""The JSON API: listing with filters and cursors, single postbacks, deletes, channels."""

from __future__ import annotations

import json

import pytest


def send(client, path: str = "/pb/a", **kwargs) -> int:
    return client.get(path, **kwargs).json["id"]


def test_health_counts_postbacks(client):
    send(client)
    send(client)
    body = client.get("/api/health").json
    assert body["status"] == "ok" and body["postbacks"] == 2 and body["version"]


def test_root_redirects_to_the_inspector(client):
    answer = client.get("/")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/ui/")


def test_cursor_pagination_walks_every_postback_once(client):
    ids = [send(client, f"/pb/p?n={n}") for n in range(7)]
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/postbacks", query_string=params).json
        seen.extend(p["id"] for p in page["postbacks"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids, reverse=True)


def test_ascending_order_with_since_id(client):
    ids = [send(client) for _ in range(4)]
    page = client.get(f"/api/postbacks?order=asc&since_id={ids[1]}").json
    assert [p["id"] for p in page["postbacks"]] == ids[2:]


@pytest.mark.parametrize(
    "params,expected",
    [
        ({"channel": "net1"}, {"n1", "n1b"}),
        ({"method": "post"}, {"p"}),
        ({"click_id": "n1"}, {"n1"}),
        ({"event_name": "purchase"}, {"n1b"}),
        ({"q": "needle"}, {"p"}),
    ],
)
def test_filters(client, params, expected):
    client.get("/pb/net1?click_id=n1")
    client.get("/pb/net1?click_id=n1b&event=purchase")
    client.post("/pb/net2?click_id=p", data=b"has a needle inside")
    client.get("/other?click_id=o")
    page = client.get("/api/postbacks", query_string=params).json
    assert {p["keys"]["click_id"] for p in page["postbacks"]} == expected


def test_since_filters_by_received_time(client, clock):
    send(client, "/pb/t?click_id=old")
    clock.advance(60)
    cutoff = clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    clock.advance(1)
    send(client, "/pb/t?click_id=new")
    page = client.get("/api/postbacks", query_string={"since": cutoff}).json
    assert [p["keys"]["click_id"] for p in page["postbacks"]] == ["new"]


@pytest.mark.parametrize(
    "params,field",
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-01-01T00:00:00"}, "since"),
        ({"since_id": "-1"}, "since_id"),
        ({"order": "sideways"}, "order"),
    ],
)
def test_bad_parameters_answer_400_naming_the_parameter(client, params, field):
    answer = client.get("/api/postbacks", query_string=params)
    assert answer.status_code == 400
    assert answer.json["error"]["field"] == field


def test_missing_postback_is_404_in_the_error_shape(client):
    answer = client.get("/api/postbacks/999")
    assert answer.status_code == 404
    assert answer.json == {"error": {"status": 404, "code": "not_found",
                                     "message": "no postback with id 999", "field": "id"}}


def test_delete_by_channel_keeps_other_channels(client):
    send(client, "/pb/a")
    send(client, "/pb/b")
    assert client.delete("/api/postbacks?channel=a").json == {"deleted": 1}
    remaining = client.get("/api/postbacks").json["postbacks"]
    assert [p["channel"] for p in remaining] == ["b"]


def test_export_is_ndjson_oldest_first(client):
    ids = [send(client, "/pb/x"), send(client, "/pb/y")]
    answer = client.get("/api/export")
    assert answer.headers["Content-Type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in answer.get_data(as_text=True).splitlines()]
    assert [line["id"] for line in lines] == ids


def test_channel_answer_settings_round_trip_and_apply(client):
    settings = {"answer": {"status": 202, "headers": {"X-Net": "fake"}, "body": "accepted"}}
    put = client.put("/api/channels/net1", json=settings)
    assert put.status_code == 200 and put.json["answer"]["status"] == 202
    answer = client.get("/pb/net1")
    assert (answer.status_code, answer.headers["X-Net"], answer.get_data()) == (
        202, "fake", b"accepted")
    view = client.get("/api/postbacks?limit=1").json["postbacks"][0]
    assert view["response"]["status"] == 202 and view["response"]["body"] == "accepted"


def test_fail_first_then_succeed(client):
    client.put("/api/channels/flaky", json={"answer": {"fail_first": 2, "fail_status": 500}})
    statuses = [client.get("/pb/flaky").status_code for _ in range(4)]
    assert statuses == [500, 500, 200, 200]
    assert client.get("/api/channels/flaky").json["requests"] == 4


def test_seeded_failure_fraction_is_reproducible(client):
    client.put("/api/channels/f", json={"answer": {"fail_fraction": 0.5, "seed": 7}})
    first = [client.get("/pb/f").status_code for _ in range(40)]
    client.put("/api/channels/f", json={"answer": {"fail_fraction": 0.5, "seed": 7}})
    second = [client.get("/pb/f").status_code for _ in range(40)]
    assert first == second
    assert 8 <= first.count(503) <= 32


def test_delay_goes_through_the_clock(client, clock):
    client.put("/api/channels/slow", json={"answer": {"delay_ms": 1500}})
    client.get("/pb/slow")
    assert clock.sleeps == [1.5]


def test_deleting_channel_settings_keeps_its_captures(client):
    client.put("/api/channels/gone", json={"answer": {"status": 500}})
    client.get("/pb/gone")
    assert client.delete("/api/channels/gone").status_code == 200
    assert client.get("/pb/gone").status_code == 200
    assert client.get("/api/channels/gone").json["postbacks"] == 2
    assert client.delete("/api/channels/gone").status_code == 404


@pytest.mark.parametrize(
    "body,field",
    [
        ({"answer": {"status": 99}}, "answer.status"),
        ({"answer": {"delay_ms": 10**9}}, "answer.delay_ms"),
        ({"answer": {"fail_fraction": 2}}, "answer.fail_fraction"),
        ({"answer": {"colour": "red"}}, "answer.colour"),
        ({"answer": []}, "answer"),
    ],
)
def test_bad_channel_settings_name_the_field(client, body, field):
    answer = client.put("/api/channels/net1", json=body)
    assert answer.status_code == 400
    assert answer.json["error"]["field"] == field


def test_channel_list_includes_configured_and_captured(client):
    client.put("/api/channels/configured", json={"answer": {}})
    send(client, "/pb/captured")
    channels = {c["channel"]: c for c in client.get("/api/channels").json["channels"]}
    assert channels["configured"]["configured"] and channels["configured"]["postbacks"] == 0
    assert channels["captured"]["postbacks"] == 1 and not channels["captured"]["configured"]


def test_put_keeps_the_part_it_leaves_out_and_null_clears_it(client):
    verification = {"kind": "query_token", "param": "token", "token": "s3cret"}
    client.put("/api/channels/net1", json={"answer": {"status": 202},
                                           "verification": verification})
    client.put("/api/channels/net1", json={"answer": {"status": 204}})
    kept = client.get("/api/channels/net1?reveal=1").json
    assert kept["answer"]["status"] == 204 and kept["verification"]["token"] == "s3cret"
    client.put("/api/channels/net1", json={"verification": None})
    cleared = client.get("/api/channels/net1").json
    assert cleared["verification"] is None and cleared["answer"]["status"] == 204
