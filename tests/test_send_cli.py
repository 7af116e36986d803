"""`postback-sandbox send`: one postback now, against the real sandbox on loopback, recorded
as a delivery of its own run; bad input named with what is valid."""

from __future__ import annotations

import json
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from click.testing import CliRunner

from sandbox.cli import main
from sandbox.remote.process import RunningServer
from sandbox.scenarios.one_shot import OneShot, one_postback


def send(server: RunningServer, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["send", *args, "--url", server.url, "--db",
                                       str(server.db)])
    return result.exit_code, result.output


def captures(server: RunningServer, channel: str) -> list[dict]:
    answer = httpx.get(f"{server.url}/api/postbacks", params={"channel": channel})
    return answer.json()["postbacks"]


def test_an_install_reaches_the_channel_and_is_recorded(server: RunningServer):
    code, out = send(server, "install", "--preset", "appsflyer", "--channel", "send-af",
                     "--seed", "5")
    assert code == 0, out
    assert "answer (attempt 1): 200" in out and "curl: curl -X GET" in out
    [capture] = captures(server, "send-af")
    assert capture["path"] == "/pb/send-af/install"
    assert capture["query"]["pid"] == ["partner_int"] and capture["query"]["clickid"]
    run = int(out.split("of run ")[1].split()[0])
    deliveries = httpx.get(f"{server.url}/api/deliveries", params={"run": run}).json()
    [delivery] = deliveries["deliveries"]
    assert delivery["state"] == "delivered" and delivery["kind"] == "install"
    assert delivery["url"].endswith(capture["query_string"])


def test_an_event_carries_the_values_set(server: RunningServer):
    code, out = send(server, "event", "af_purchase", "--preset", "branch", "--channel",
                     "send-branch", "--set", "revenue=9.99", "--set", "currency=EUR",
                     "--set", "click_id=ck-42")
    assert code == 0, out
    [capture] = captures(server, "send-branch")
    query = {k: v[0] for k, v in capture["query"].items()}
    assert query["name"] == "purchase" and query["revenue"] == "9.99"
    assert query["currency"] == "EUR" and query["external_touch"] == "ck-42"
    assert float(query["revenue_in_usd"]) == pytest.approx(9.99 * 1.08, abs=0.01)


def test_a_profile_signs_and_a_wrong_one_is_refused(server: RunningServer, tmp_path: Path):
    httpx.put(f"{server.url}/api/channels/send-signed", json={"verification": {
        "kind": "query_token", "token": "s3cret", "mode": "enforce"}}).raise_for_status()
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.json"
    good.write_text("kind: query_token\ntoken: s3cret\n", encoding="utf-8")
    bad.write_text(json.dumps({"kind": "query_token", "token": "wrong"}), encoding="utf-8")
    code, out = send(server, "install", "--preset", "kochava", "--channel", "send-signed",
                     "--profile", str(good))
    assert code == 0, out
    assert "token=s3cret" in out  # the request as sent: signed
    code, out = send(server, "install", "--preset", "kochava", "--channel", "send-signed",
                     "--profile", str(bad))
    assert code == 1 and "answer (attempt 1): 401" in out and "(failed)" in out
    assert [c["response"]["status"] for c in captures(server, "send-signed")] == [401, 200]


def test_retries_after_the_receivers_5xx(server: RunningServer):
    httpx.put(f"{server.url}/api/channels/send-flaky", json={"answer": {
        "fail_first": 1, "fail_status": 503}}).raise_for_status()
    code, out = send(server, "install", "--preset", "singular", "--channel", "send-flaky",
                     "--retries", "2")
    assert code == 0, out
    assert "answer (attempt 1): 503" in out and "answer (attempt 2): 200" in out


def test_dry_run_prints_the_request_and_sends_nothing(server: RunningServer):
    code, out = send(server, "event", "af_level_achieved", "--preset", "kochava", "--channel",
                     "send-dry", "--set", "param.af_level=7", "--dry-run", "--seed", "9")
    assert code == 0, out
    url = out.splitlines()[1].split(" ", 1)[1]
    query = parse_qs(urlsplit(url).query)
    assert query["event_name"] == ["Level Complete"] and "curl: " in out
    assert captures(server, "send-dry") == []


@pytest.mark.parametrize(("args", "named"), [
    (["install", "--preset", "brnch", "--to", "http://127.0.0.1:9/"], "did you mean 'branch'"),
    (["event", "af_purchse", "--preset", "adjust", "--to", "http://127.0.0.1:9/"],
     "did you mean 'af_purchase'"),
    (["event", "--preset", "adjust", "--to", "http://127.0.0.1:9/"], "name the event"),
    (["event", "af_purchase", "--preset", "adjust", "--to", "http://127.0.0.1:9/", "--set",
      "revnue=1"], "did you mean 'revenue'"),
    (["event", "af_purchase", "--preset", "adjust", "--to", "http://127.0.0.1:9/", "--set",
      "revenue=lots"], "expected a number"),
    (["install", "--preset", "adjust", "--to", "http://127.0.0.1:9/", "--set", "revenue=1"],
     "an install has no revenue"),
    (["install", "--preset", "adjust"], "--to URL"),
    (["install", "--preset", "adjust", "--to", "ftp://x"], "expected an http"),
])
def test_bad_input_names_what_is_valid(args: list[str], named: str):
    result = CliRunner().invoke(main, ["send", *args, "--dry-run"])
    assert result.exit_code == 2 and named in result.output
    assert "Traceback" not in result.output


def test_the_same_seed_gives_the_same_ids_and_the_moment_given():
    shot = OneShot("adjust", "event", "http://127.0.0.1:9/pb", "af_purchase", seed=4,
                   at=1_800_000_000.0)
    _, first = one_postback(shot)
    _, second = one_postback(shot)
    assert first.url == second.url and "created_at=1800000000" in first.url


def test_an_endpoint_that_keeps_failing_exits_1(bad_receiver: ThreadingHTTPServer,
                                                tmp_path: Path):
    """Against a receiver that answers 500 to everything: every retry is logged, exit 1."""
    bad_receiver.mode = "always500"  # type: ignore[attr-defined]
    target = f"http://127.0.0.1:{bad_receiver.server_address[1]}/pb"
    result = CliRunner().invoke(main, [
        "send", "event", "af_purchase", "--preset", "singular", "--to", target, "--retries",
        "1", "--db", str(tmp_path / "s.db")])
    assert result.exit_code == 1, result.output
    assert "answer (attempt 1): 500" in result.output
    assert "answer (attempt 2): 500" in result.output and "(failed)" in result.output
    assert len(bad_receiver.seen) == 1  # type: ignore[attr-defined]  # one postback, twice


def test_a_profile_reads_its_secret_from_the_environment_and_names_its_mistakes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    profile = tmp_path / "p.yaml"
    profile.write_text("kind: query_token\ntoken: {env: SEND_TEST_TOKEN}\n", encoding="utf-8")
    args = ["send", "install", "--preset", "adjust", "--to", "http://127.0.0.1:9/pb",
            "--profile", str(profile), "--dry-run"]
    monkeypatch.delenv("SEND_TEST_TOKEN", raising=False)
    missing = CliRunner().invoke(main, args)
    assert missing.exit_code == 2
    assert f"--profile {profile}: profile.token: environment variable SEND_TEST_TOKEN" in (
        missing.output)
    monkeypatch.setenv("SEND_TEST_TOKEN", "from-env")
    signed = CliRunner().invoke(main, args)
    assert signed.exit_code == 0 and "token=from-env" in signed.output
