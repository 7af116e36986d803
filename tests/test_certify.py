"""`certify` against real endpoints on loopback: the sandbox's own receiver first, then
receivers that behave badly (always 500, accept anything, fail each request once, say
"duplicate"); verdicts, the request cap, the JUnit and the HTML report checked."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from http.server import ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from sandbox.cli import main
from sandbox.clock import FakeClock
from sandbox.delivery.certify import Certification, certify
from sandbox.delivery.certify_cases import Exchange, next_step
from sandbox.delivery.certify_report import report_html
from sandbox.remote.process import RunningServer
from sandbox.scenarios.one_shot import OneShot
from sandbox.store import Store

PROFILE = {"kind": "query_token", "token": "s3cret"}


def run_certify(store: Store, target: str, *, profile: dict | None = None,
                max_requests: int = 40) -> Certification:
    base = OneShot("appsflyer", "install", target, seed=3, signing=profile, at=1.8e9)
    return certify(store, base, profile, clock=FakeClock(), pause=0.5,
                   max_requests=max_requests)


def verdicts(done: Certification) -> dict[str, str]:
    return {r.case.name: r.verdict.outcome for r in done.results}


def url_of(httpd: ThreadingHTTPServer, mode: str) -> str:
    httpd.mode = mode  # type: ignore[attr-defined]
    return f"http://127.0.0.1:{httpd.server_address[1]}/pb"


def test_the_sandbox_receiver_passes(server: RunningServer, tmp_path: Path):
    httpx.put(f"{server.url}/api/channels/cert", json={"verification": {
        **PROFILE, "mode": "enforce"}}).raise_for_status()
    (tmp_path / "p.yaml").write_text("kind: query_token\ntoken: s3cret\n", encoding="utf-8")
    result = CliRunner().invoke(main, [
        "certify", "--target", f"{server.url}/pb/cert", "--preset", "branch", "--profile",
        str(tmp_path / "p.yaml"), "--report", str(tmp_path / "r.html"), "--junit",
        str(tmp_path / "j.xml"), "--pause", "0", "--db", str(server.db)])
    assert result.exit_code == 0, result.output
    lines = {line.split(":")[0].split(None, 1)[1]: line.split()[0]
             for line in result.output.splitlines() if line.startswith("  ")}
    assert lines.pop("repeated postback") == "WARN"  # a recorder keeps both copies
    assert set(lines.values()) == {"PASS"} and len(lines) == 12
    suite = ET.parse(tmp_path / "j.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "13" and suite.get("failures") == "0"
    refused = httpx.get(f"{server.url}/api/postbacks", params={
        "channel": "cert", "verdict": "invalid"}).json()["postbacks"]
    assert len(refused) == 1 and refused[0]["response"]["status"] == 401
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert html.count('<tr class="case">') == 13 and "<script" not in html


def test_an_endpoint_that_always_fails(bad_receiver: ThreadingHTTPServer, store: Store):
    done = run_certify(store, url_of(bad_receiver, "always500"), profile=PROFILE)
    outcome = verdicts(done)
    assert set(outcome.values()) == {"fail"}
    retry = next(r for r in done.results if r.case.name == "retry after 5xx")
    assert retry.exchanges[0].attempts == 3 and "still 500 after 3 attempts" in retry.verdict.says
    install = done.results[0]
    assert install.verdict.says == "server error (500)"
    assert "retries later" in install.verdict.next_step


def test_an_endpoint_that_accepts_anything(bad_receiver: ThreadingHTTPServer, store: Store):
    done = run_certify(store, url_of(bad_receiver, "lenient"), profile=PROFILE)
    outcome = verdicts(done)
    assert outcome["wrong signature"] == "fail" and outcome["repeated postback"] == "warn"
    assert outcome["install"] == "pass" and outcome["slow request"] == "pass"
    wrong = next(r for r in done.results if r.case.name == "wrong signature")
    assert "token=not-s3cret" in wrong.exchanges[0].url


def test_a_retry_after_the_endpoints_own_5xx_recovers(bad_receiver: ThreadingHTTPServer,
                                                      store: Store):
    done = run_certify(store, url_of(bad_receiver, "flaky"))
    retry = next(r for r in done.results if r.case.name == "retry after 5xx")
    assert retry.verdict.says == "recovered on attempt 2 after a 5xx"
    # every attempt is in the delivery log
    attempts = store.deliveries.attempts(retry.exchanges[0].delivery_id)  # type: ignore[arg-type]
    assert [a.status for a in attempts] == [500, 200]
    assert verdicts(done)["wrong signature"] == "skipped"


def test_a_deduplicating_endpoint_passes_the_repeat(bad_receiver: ThreadingHTTPServer,
                                                    store: Store):
    done = run_certify(store, url_of(bad_receiver, "dedup"))
    repeated = next(r for r in done.results if r.case.name == "repeated postback")
    assert [x.status for x in repeated.exchanges] == [200, 409]
    assert repeated.verdict.outcome == "pass" and "deduplicated" in repeated.verdict.says


def test_the_request_cap_skips_the_rest(bad_receiver: ThreadingHTTPServer, store: Store):
    done = run_certify(store, url_of(bad_receiver, "lenient"), max_requests=3)
    sent = sum(x.attempts for r in done.results for x in r.exchanges)
    assert sent == 3 and len(bad_receiver.seen) == 3  # type: ignore[attr-defined]
    assert [r.verdict.outcome for r in done.results][3:] == ["skipped"] * (len(done.results) - 3)


@pytest.mark.parametrize(("args", "named"), [
    (["--preset", "brnch"], "did you mean 'branch'"),
    (["--target", "ftp://x"], "expected an http"),
])
def test_bad_input_is_named(args: list[str], named: str, tmp_path: Path):
    base = ["certify", "--target", "http://127.0.0.1:9/pb", "--db", str(tmp_path / "s.db")]
    result = CliRunner().invoke(main, [*base, *args])
    assert result.exit_code == 2 and named in result.output and "Traceback" not in result.output


def test_a_bad_profile_file_is_named(tmp_path: Path):
    (tmp_path / "p.json").write_text(json.dumps(["not", "a", "profile"]), encoding="utf-8")
    result = CliRunner().invoke(main, ["certify", "--target", "http://127.0.0.1:9/pb",
                                       "--profile", str(tmp_path / "p.json")])
    assert result.exit_code == 2 and "expected a mapping with a 'kind'" in result.output


def test_the_report_escapes_what_it_shows(bad_receiver: ThreadingHTTPServer, store: Store):
    done = run_certify(store, url_of(bad_receiver, "lenient"))
    html = report_html(done)
    assert "<script" not in html and "&lt;script&gt;window.__pwned=1" in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html


def test_what_a_real_mmp_does_next_follows_its_retry_rule():
    """One rule: the delivery policy's, with the preset's habits (Branch retries timeouts
    only, Singular 5xx only, the rest 408, 429 and 5xx)."""
    def after(preset: str, status: int | None) -> str:
        error = None if status is not None else "timed out after 5s"
        return next_step(Exchange("GET", "u", None, status, 1.0, error, 1), preset)

    assert after("appsflyer", 500).startswith("retries later")
    assert after("appsflyer", 429).startswith("retries later")
    assert after("appsflyer", 404).startswith("gives up")
    assert after("branch", 500).startswith("gives up") and after("branch", None).startswith(
        "retries")
    assert after("singular", 503).startswith("retries later")
    assert after("singular", 429).startswith("gives up")
    assert after("kochava", 200) == "marks it delivered and moves on"
