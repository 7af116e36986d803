"""The admin gate: token beyond 127.0.0.1, login cookie, CSRF, and masking of credentials."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from werkzeug.test import Client

from sandbox.clock import FakeClock
from sandbox.remote.process import start_server
from sandbox.settings import load_settings, with_admin_token
from sandbox.store import Store
from sandbox.web.auth import safe_next
from sandbox.web.entry import build
from tests.served import ServedClient

TOKEN = "test-admin-token-123"


@pytest.fixture
def exposed(store: Store, serve, clock: FakeClock, db_path: Path) -> ServedClient:
    """The sandbox as if bound to 0.0.0.0 with an admin token."""
    settings = load_settings({"db": str(db_path), "host": "0.0.0.0", "token": TOKEN}, environ={})
    return serve(build(settings, clock=clock, store=store))


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("path", ["/api/postbacks", "/api/channels", "/api/openapi.json",
                                  "/api/export", "/api/postbacks/1"])
def test_admin_api_needs_the_token(exposed: Client, path: str):
    denied = exposed.get(path)
    assert denied.status_code == 401
    assert denied.json["error"]["code"] == "unauthorized"
    assert denied.headers["WWW-Authenticate"].startswith("Bearer")
    assert exposed.get(path, headers=bearer("wrong-token-xyz")).status_code == 401
    assert exposed.get(path, headers=bearer()).status_code in (200, 404)


@pytest.mark.parametrize("path", ["/api/health", "/api/ping", "/pb/net?x=1", "/anything",
                                  "/static/none.css"])
def test_open_paths_stay_open(exposed: Client, path: str):
    assert exposed.get(path).status_code in (200, 404)
    assert exposed.get(path).status_code != 401


def test_inspector_pages_redirect_to_login(exposed: Client):
    answer = exposed.get("/ui/postbacks")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/ui/login?next=/ui/postbacks"


def test_login_sets_a_session_cookie_that_opens_the_api(exposed: Client):
    form = exposed.get("/ui/login?next=/ui/x")
    assert form.status_code == 200 and b'name="token"' in form.data
    wrong = exposed.post("/ui/login", data={"token": "nope-nope", "next": "/ui/x"})
    assert wrong.status_code == 401 and b"not right" in wrong.data
    answer = exposed.post("/ui/login", data={"token": TOKEN, "next": "/ui/x"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/ui/x"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and TOKEN not in cookie
    assert exposed.get("/api/postbacks").status_code == 200  # the client kept the cookie
    exposed.post("/ui/logout", headers={"Origin": "http://localhost"})
    assert exposed.get("/api/postbacks").status_code == 401


@pytest.mark.parametrize("target,expected", [("/ui/p?id=1", "/ui/p?id=1"),
                                             ("//evil.example/", "/ui/"),
                                             ("https://evil.example/", "/ui/"),
                                             ("/\\evil.example", "/ui/"), (None, "/ui/")])
def test_login_only_follows_local_paths(target, expected):
    assert safe_next(target) == expected


def _logged_in(exposed: Client) -> Client:
    assert exposed.post("/ui/login", data={"token": TOKEN}).status_code == 303
    return exposed


def test_csrf_cookie_request_without_origin_is_refused(exposed: Client):
    client = _logged_in(exposed)
    refused = client.delete("/api/postbacks")
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "cross_site_request"


@pytest.mark.parametrize("headers", [{"Origin": "http://localhost"},
                                     {"Sec-Fetch-Site": "same-origin"}])
def test_csrf_cookie_request_from_our_own_pages_passes(exposed: Client, headers):
    assert _logged_in(exposed).delete("/api/postbacks", headers=headers).status_code == 200


@pytest.mark.parametrize("headers", [{"Origin": "http://evil.example"},
                                     {"Origin": "http://localhost:9999"},
                                     {"Origin": "null"},
                                     {"Sec-Fetch-Site": "cross-site"},
                                     {"Sec-Fetch-Site": "same-site"}])
def test_csrf_cross_site_requests_are_refused_even_with_the_token(exposed: Client, headers):
    answer = _logged_in(exposed).delete("/api/postbacks", headers={**bearer(), **headers})
    assert answer.status_code == 403


def test_csrf_cross_site_is_refused_on_loopback_too(client: Client):
    assert client.delete("/api/postbacks", headers={"Origin": "http://evil.example"}
                         ).status_code == 403
    assert client.delete("/api/postbacks").status_code == 200  # curl and CI send no Origin
    assert client.get("/api/postbacks", headers={"Origin": "http://evil.example"}
                      ).status_code == 200  # reading is not a state change


def test_bearer_clients_without_browser_headers_pass(exposed: Client):
    assert exposed.delete("/api/postbacks", headers=bearer()).status_code == 200


def test_loopback_default_needs_no_token(client: Client):
    assert client.get("/api/postbacks").status_code == 200


@pytest.mark.parametrize("host,needed", [("127.0.0.1", False), ("localhost", False),
                                         ("::1", False), ("127.0.0.2", True),
                                         ("0.0.0.0", True), ("192.168.1.5", True)])
def test_token_is_generated_when_exposed(host: str, needed: bool):
    settings, generated = with_admin_token(load_settings({"host": host}, environ={}))
    assert generated is needed
    assert (settings.token is not None) is needed


def test_token_from_environment():
    settings = load_settings({}, environ={"SANDBOX_TOKEN": TOKEN, "SANDBOX_HOST": "0.0.0.0"})
    assert settings.token == TOKEN and settings.requires_token


# --- masking ---

def test_credentials_are_masked_unless_revealed(exposed: Client):
    exposed.put("/api/channels/net", headers=bearer(), json={
        "verification": {"kind": "query_token", "token": "s3cret-token", "param": "t"}})
    exposed.post("/pb/net?t=s3cret-token&security_token=abcd1234&click_id=c1",
                 headers={"Authorization": "Bearer live-key-999", "X-Api-Key": "k-55555"},
                 json={"password": "hunter22", "click_id": "c1"})
    shown = exposed.get("/api/postbacks?limit=1", headers=bearer()).json["postbacks"][0]
    text = str(shown)
    for secret in ("s3cret-token", "abcd1234", "live-key-999", "k-55555", "hunter22"):
        assert secret not in text, secret
    headers = dict(shown["headers"])
    assert headers["Authorization"] == "Bearer ****" and headers["X-Api-Key"] == "****"
    assert shown["query"]["security_token"] == ["****"] and shown["query"]["t"] == ["****"]
    assert shown["keys"]["click_id"] == "c1" and shown["json"]["click_id"] == "c1"
    exported = exposed.get("/api/export", headers=bearer()).data.decode()
    assert "s3cret-token" not in exported and "live-key-999" not in exported
    one = exposed.get(f"/api/postbacks/{shown['id']}", headers=bearer()).json
    assert "hunter22" not in str(one)
    revealed = exposed.get(f"/api/postbacks/{shown['id']}?reveal=1", headers=bearer()).json
    assert dict(revealed["headers"])["Authorization"] == "Bearer live-key-999"
    assert "s3cret-token" in revealed["query_string"]


def test_bad_reveal_value_is_a_400(client: Client):
    answer = client.get("/api/postbacks?reveal=yes")
    assert answer.status_code == 400 and answer.json["error"]["field"] == "reveal"


# --- a real server bound beyond 127.0.0.1 ---

@pytest.fixture
def exposed_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    server = start_server(tmp_path / "exposed.db", args=["--host", "127.0.0.2", "--workers", "1"])
    try:
        assert server.process.stdout is not None
        token = ""
        for _ in range(10):
            line = server.process.stdout.readline()
            if "admin token" in line:
                token = line.split()[-1]
                break
        yield server.url, token
    finally:
        server.stop(signal.SIGINT)


@pytest.mark.slow
def test_live_server_on_127_0_0_2_prints_and_requires_a_token(exposed_server):
    url, token = exposed_server
    assert url.startswith("http://127.0.0.2:") and len(token) >= 20
    assert httpx.get(f"{url}/api/postbacks").status_code == 401
    assert httpx.get(f"{url}/api/health").status_code == 200
    assert httpx.get(f"{url}/pb/open?x=1").status_code == 200
    answer = httpx.get(f"{url}/api/postbacks", headers=bearer(token))
    assert answer.status_code == 200 and answer.json()["count"] == 1
