"""The click tracker: GET /c/<campaign> records a click and redirects (or answers JSON), and
campaigns come from the config file or /api/campaigns."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.errors import ConfigError, SandboxError
from sandbox.live.clicks import click_id_from, device_hints
from sandbox.web.config_file import apply_config_file, load_config_file
from tests.live_helpers import ANDROID_UA, IOS_UA, click, configure

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def test_a_click_redirects_to_the_campaign_url_with_its_click_id(client, store):
    configure(client, redirect="https://apps.apple.com/app/id525463029?ct={click_id}")
    answer = client.get("/c/launch?sub1=x&idfa=8C6CBC0D-5F43-4765-A6E6-84DFF3D24707",
                        headers={"User-Agent": IOS_UA, "X-Forwarded-For": "203.0.113.7"})
    assert answer.status_code == 302
    click_id = answer.headers["X-Click-Id"]
    assert UUID.fullmatch(click_id)
    assert answer.headers["Location"] == f"https://apps.apple.com/app/id525463029?ct={click_id}"
    row = store.clicks.get(click_id)
    assert row is not None
    assert (row.campaign, row.network, row.platform, row.ip) == (
        "launch", "net1", "ios", "203.0.113.7")
    assert row.device_id == "8C6CBC0D-5F43-4765-A6E6-84DFF3D24707"
    assert row.params["sub1"] == ["x"]


def test_format_json_answers_the_click_and_keeps_a_given_click_id(client):
    configure(client, redirect="https://example.test/landing")
    answer = client.get("/c/launch?format=json&click_id=abc-123")
    assert answer.status_code == 200
    assert answer.json == {"click_id": "abc-123", "campaign": "launch", "network": "net1",
                           "redirect": "https://example.test/landing"}


def test_without_a_redirect_the_store_page_is_used_per_platform(client):
    client.put("/api/networks/net1", json={"campaigns": [{"name": "launch"}]})
    answer = client.get("/c/launch?format=json", headers={"User-Agent": IOS_UA})
    assert answer.json["redirect"] is None  # no app configured: nowhere to send the user


@pytest.mark.parametrize("url,status,code", [
    ("/c/nope", 404, "not_found"),
    ("/c/launch?click_id=has%20space", 400, "bad_click_id"),
])
def test_bad_clicks_are_refused_clearly(client, url, status, code):
    configure(client)
    answer = client.get(url)
    assert answer.status_code == status
    assert answer.json["error"]["code"] == code


def test_a_click_id_is_recorded_once(client):
    configure(client)
    assert click(client, click_id="dup") == "dup"
    answer = client.get("/c/launch?click_id=dup")
    assert answer.status_code == 409
    assert "already recorded" in answer.json["error"]["message"]


@pytest.mark.parametrize("agent,expected", [
    (IOS_UA, {"platform": "ios", "os_version": "17.4", "device_type": "iPhone"}),
    (ANDROID_UA, {"platform": "android", "os_version": "14", "model": "Pixel 7"}),
    ("curl/8.5.0", {"platform": None}),
    (None, {"platform": None}),
])
def test_device_hints_come_from_the_user_agent(agent, expected):
    assert device_hints(agent) == expected


@given(st.text(max_size=300))
def test_device_hints_never_fail(agent):
    assert device_hints(agent)["platform"] in ("ios", "android", None)


@given(st.text(max_size=200))
def test_a_given_click_id_is_kept_or_refused(value):
    try:
        kept = click_id_from({"click_id": [value]})
    except SandboxError as exc:
        assert exc.field == "click_id" and value
    else:
        assert kept == value if value else UUID.fullmatch(kept)


def test_campaigns_api_lists_shows_and_removes(client):
    configure(client, redirect="https://example.test/a")
    listed = client.get("/api/campaigns").json["campaigns"]
    assert [(c["name"], c["network"], c["tracking_link"]) for c in listed] == [
        ("launch", "net1", "/c/launch")]
    assert client.delete("/api/campaigns/launch").status_code == 200
    assert client.get("/c/launch").status_code == 404
    assert client.get("/api/campaigns/launch").status_code == 404


@pytest.mark.parametrize("body,field", [
    ({"network": "nope"}, "network"),
    ({"redirect": "https://x.test"}, "network"),
    ({"network": "net1", "lookback": {"click": "soon"}}, "config"),
    ({"network": "net1", "redirect": "ftp://x"}, "config"),
])
def test_campaign_put_is_validated(client, body, field):
    configure(client)
    answer = client.put("/api/campaigns/other", json=body)
    assert answer.status_code == 400
    assert answer.json["error"]["field"] == field


def test_campaign_names_are_unique_across_networks(client):
    configure(client)
    client.put("/api/networks/net2", json={})
    answer = client.put("/api/networks/net2", json={"campaigns": [{"name": "launch"}]})
    assert answer.status_code == 400
    assert "already used" in answer.json["error"]["message"]


CONFIG = """\
app:
  name: Demo
  ios: {app_id: 525463029}
  android: {package: com.example.game}
networks:
  - name: fakenet
    preset: appsflyer
    endpoint: http://127.0.0.1:9/pb/fakenet
    campaigns:
      - name: spring
campaigns:
  - name: summer
    network: fakenet
    redirect: https://example.test/summer?c={click_id}
"""


def test_config_file_declares_networks_and_campaigns(tmp_path: Path, store, client):
    path = tmp_path / "sandbox.yaml"
    path.write_text(CONFIG)
    apply_config_file(store, path)
    spring = client.get("/c/spring?format=json", headers={"User-Agent": ANDROID_UA}).json
    assert spring["redirect"] == ("https://play.google.com/store/apps/details?id=com.example"
                                  f".game&referrer=click_id%3D{spring['click_id']}")
    ios = client.get("/c/spring?format=json", headers={"User-Agent": IOS_UA}).json
    assert ios["redirect"] == "https://apps.apple.com/app/id525463029"
    summer = client.get("/c/summer?format=json").json
    assert summer["redirect"] == f"https://example.test/summer?c={summer['click_id']}"


@pytest.mark.parametrize("mistake,expected", [
    (CONFIG.replace("network: fakenet", "network: other"), r"sandbox.yaml:\d+: campaigns\[0\]"
                                                          r".network: no network named"),
    (CONFIG.replace("preset: appsflyer", "preset: nope"), r"sandbox.yaml:7: networks\[0\]"),
    (CONFIG.replace("- name: spring", "- name: summer"), "already used"),
])
def test_config_file_mistakes_name_file_and_line(tmp_path: Path, mistake, expected):
    path = tmp_path / "sandbox.yaml"
    path.write_text(mistake)
    with pytest.raises(ConfigError, match=expected):
        load_config_file(path)


def test_networks_api_lists_shows_and_removes(client):
    configure(client)
    assert [n["name"] for n in client.get("/api/networks").json["networks"]] == ["net1"]
    assert client.get("/api/networks/net1").json["name"] == "net1"
    client.delete("/api/campaigns/launch")  # a network still used by a campaign may be kept
    assert client.delete("/api/networks/net1").status_code == 200
    assert client.get("/api/networks/net1").status_code == 404
    assert client.get("/api/networks?x=1").json["error"]["field"] == "x"
