"""The receiver over real HTTP: every method, every body shape, every key alias, nothing lost."""

from __future__ import annotations

import gzip
import json
import zlib

import httpx
import pytest

from sandbox.capture.keys import KEY_ALIASES, NUMBER_ONLY
from sandbox.remote.process import RunningServer

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def latest(server: RunningServer) -> dict:
    page = httpx.get(f"{server.url}/api/postbacks", params={"limit": 1}).json()
    return page["postbacks"][0]


def fetch(server: RunningServer, capture_id: int) -> dict:
    return httpx.get(f"{server.url}/api/postbacks/{capture_id}").json()


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", ["/pb/net1", "/pb/net1/install/ios", "/postback/af"])
def test_every_method_on_every_path_is_captured(server: RunningServer, method: str, path: str):
    answer = httpx.request(method, f"{server.url}{path}?click_id=c1")
    assert answer.status_code == 200
    view = latest(server)
    assert view["method"] == method
    assert view["path"] == path
    assert view["channel"] == ("net1" if path.startswith("/pb/") else "default")
    assert view["keys"]["click_id"] == "c1"
    if method != "HEAD":
        assert answer.json() == {"ok": True, "id": view["id"]}


def test_duplicate_query_keys_unicode_and_percent_encoding_are_kept(server: RunningServer):
    raw_query = "event=a&event=b&name=%E2%9C%93%20ok&plus=1+2&empty=&amp=%26"
    httpx.get(f"{server.url}/pb/q?{raw_query}")
    view = latest(server)
    assert view["query_string"] == raw_query
    assert view["query"] == {
        "event": ["a", "b"], "name": ["\u2713 ok"], "plus": ["1 2"], "empty": [""], "amp": ["&"],
    }


def test_empty_body(server: RunningServer):
    httpx.post(f"{server.url}/pb/e")
    view = latest(server)
    assert (view["body"], view["body_size"], view["json"], view["form"]) == ("", 0, None, None)


def test_binary_body_comes_back_byte_identical(server: RunningServer):
    payload = bytes(range(256)) * 3
    httpx.post(f"{server.url}/pb/bin", content=payload,
               headers={"Content-Type": "application/octet-stream"})
    view = latest(server)
    assert view["body_encoding"] == "base64"
    raw = httpx.get(f"{server.url}/api/postbacks/{view['id']}/body")
    assert raw.content == payload
    assert raw.headers["content-type"] == "application/octet-stream"


@pytest.mark.parametrize(
    "encoding,compress",
    [("gzip", gzip.compress), ("deflate", zlib.compress)],
)
def test_compressed_json_is_decoded_for_matching_and_kept_raw(server: RunningServer, encoding,
                                                               compress):
    document = {"event_name": "af_purchase", "revenue": "4.99"}
    packed = compress(json.dumps(document).encode())
    httpx.post(f"{server.url}/pb/gz", content=packed,
               headers={"Content-Type": "application/json", "Content-Encoding": encoding})
    view = latest(server)
    assert view["json"] == document
    assert view["keys"]["event_name"] == "af_purchase"
    assert httpx.get(f"{server.url}/api/postbacks/{view['id']}/body").content == packed


def test_oversize_body_is_refused_with_413_and_still_recorded(server: RunningServer):
    big = b"x" * (1024 * 1024 + 10)
    answer = httpx.post(f"{server.url}/pb/big?click_id=huge", content=big)
    assert answer.status_code == 413
    error = answer.json()["error"]
    assert error["code"] == "body_too_large" and error["status"] == 413
    view = latest(server)
    assert view["refused"].startswith("body_too_large")
    assert view["body_size"] == len(big)
    assert 0 < len(view["body"]) < len(big)
    assert view["keys"]["click_id"] == "huge"
    assert view["response"]["status"] == 413


def test_invalid_json_is_stored_raw_with_a_note(server: RunningServer):
    httpx.post(f"{server.url}/pb/j", content=b'{"a": 1,',
               headers={"Content-Type": "application/json"})
    view = latest(server)
    assert view["body"] == '{"a": 1,'
    assert view["json"] is None
    assert view["body_note"].startswith("invalid JSON")


def test_form_body_is_parsed_multi_valued(server: RunningServer):
    httpx.post(f"{server.url}/pb/f", content=b"a=1&a=2&b=%C3%A9",
               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert latest(server)["form"] == {"a": ["1", "2"], "b": ["\u00e9"]}


def test_headers_are_recorded_in_order_with_repeats_kept_apart(server: RunningServer):
    sent = [("X-Sig", "a"), ("X-One", "1"), ("X-Sig", "b"), ("X_Under", "u")]
    httpx.get(f"{server.url}/pb/h", headers=sent)
    headers = [tuple(pair) for pair in latest(server)["headers"]]
    # granian (hyper) groups the repeats of a name at the position of its first one
    assert [pair for pair in headers if pair[0] in ("X-Sig", "X-One", "X_under")] == [
        ("X-Sig", "a"), ("X-Sig", "b"), ("X-One", "1"), ("X_under", "u")]


def test_path_is_recorded_as_sent_with_its_percent_encoding(server: RunningServer):
    httpx.get(f"{server.url}/pb/h/a%2Fb/%C3%A9")
    assert latest(server)["path"] == "/pb/h/a%2Fb/%C3%A9"


ALIAS_CASES = [
    (key, alias, source)
    for key, aliases in KEY_ALIASES.items()
    for alias in aliases
    for source in ("query", "form", "json")
]


@pytest.mark.parametrize("key,alias,source", ALIAS_CASES)
def test_every_alias_is_extracted_from_every_source(client, key: str, alias: str, source: str):
    value = "12.5" if alias in NUMBER_ONLY else "v-" + alias
    if source == "query":
        answer = client.get(f"/pb/alias?{alias}={value}")
    elif source == "form":
        answer = client.post("/pb/alias", data={alias: value})
    else:
        answer = client.post("/pb/alias", json={alias: value})
    capture_id = answer.json["id"]
    view = client.get(f"/api/postbacks/{capture_id}").json
    assert view["keys"][key] == value


def test_a_number_only_alias_skips_other_values(client):
    """Kochava's event_value is revenue; AppsFlyer's is a JSON text and is no revenue."""
    answer = client.get("/pb/alias?event_value=%7B%22af_revenue%22%3A%224.59%22%7D")
    view = client.get(f"/api/postbacks/{answer.json['id']}").json
    assert view["keys"]["revenue"] is None


def test_aliases_follow_table_order_before_source_order(client):
    answer = client.post("/pb/p?cid=from-query", json={"click_id": "from-json"})
    view = client.get(f"/api/postbacks/{answer.json['id']}").json
    assert view["keys"]["click_id"] == "from-json"


def test_invalid_channel_name_is_recorded_and_answered_400(client):
    answer = client.get("/pb/bad%20name!/x")
    assert answer.status_code == 400
    assert answer.json["error"]["code"] == "bad_channel"
    stored = client.get("/api/postbacks?limit=1").json["postbacks"][0]
    assert stored["refused"].startswith("bad_channel")
