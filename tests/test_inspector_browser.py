"""The inspector in real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

Each test fails on any JavaScript error or console error (a CSP violation included) and saves
a screenshot of its page into tests/screenshots/ (scripts/readme_screenshot.py picks the
README's from there).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from sandbox.clock import SystemClock
from sandbox.delivery.run import RunOptions, ScenarioRun
from sandbox.scenarios.load import scenario_from_data
from sandbox.store import Store
from tests.delivery_helpers import small_scenario

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
XSS_SCRIPT = "<script>window.__pwned=1</script>"
XSS_IMG = '<img src=x onerror="window.__pwned=2">'
BINARY = b"\x89PNG\r\n\x1a\n\x00\xff<script>window.__pwned=3</script>\x80\x81"
TIMEOUT_MS = 8000

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian's chromium"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, server):
    """A laptop-sized page that collects JavaScript and console errors; none may occur."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    opened.on("console", lambda message: errors.append(f"console: {message.text}")
              if message.type == "error" else None)
    opened.errors = errors
    yield opened
    pwned = opened.evaluate("window.__pwned")
    context.close()
    assert pwned is None, "a captured payload ran"
    assert errors == []


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


def send(server, path: str, **kwargs) -> dict:
    httpx.request(kwargs.pop("method", "GET"), f"{server.url}{path}", **kwargs)
    return httpx.get(f"{server.url}/api/postbacks", params={"limit": 1}).json()["postbacks"][0]


def seed(server) -> None:
    send(server, "/pb/appsflyer/install?click_id=c-1001&event=install&idfa=8C6C-BC0D")
    send(server, "/pb/adjust/event?click_id=c-1002&event=purchase&revenue=4.99&currency=USD")
    send(server, "/pb/appsflyer", method="POST",
         json={"event_name": "af_purchase", "revenue": "9.99", "currency": "EUR",
               "click_id": "c-1003"})
    send(server, "/pb/branch/open?click_id=c-1004&event=open", method="POST",
         data={"device_id": "ab12", "campaign": "spring"})


def test_a_postback_appears_live_and_pause_holds_it(page, server):
    seed(server)
    page.goto(f"{server.url}/ui/")
    page.wait_for_selector("#live-state.on")
    send(server, "/pb/appsflyer/event?click_id=live-1&event=af_purchase&revenue=19.99"
         "&currency=USD&af_order_id=T-88", method="POST")
    row = page.locator("#postbacks tbody tr").first
    playwright_api.expect(row).to_contain_text("live-1")
    shoot(page, "postbacks")
    send(server, "/pb/live/x", method="POST", headers={"X-Evil": XSS_IMG},
         json={"click_id": f"live-2{XSS_SCRIPT}", "event_name": XSS_IMG})
    playwright_api.expect(row).to_contain_text("live-2")
    playwright_api.expect(row).to_contain_text(XSS_SCRIPT)  # shown as text, not run
    playwright_api.expect(row).to_contain_text(XSS_IMG)

    page.click("#pause")
    playwright_api.expect(page.locator("#live-state")).to_have_text("paused")
    send(server, "/pb/live/x?click_id=held-2")
    page.wait_for_timeout(1500)
    assert "held-2" not in page.locator("#postbacks tbody").inner_text()
    page.click("#pause")
    playwright_api.expect(page.locator("#postbacks tbody tr").first).to_contain_text("held-2")


def test_filters_narrow_the_list_and_the_live_stream(page, server):
    seed(server)
    page.goto(f"{server.url}/ui/")
    page.select_option("select[name=channel]", "appsflyer")
    page.fill("textarea[name=where]", "json.revenue>=5")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("#live-state.on")
    rows = page.locator("#postbacks tbody tr")
    playwright_api.expect(rows).to_have_count(1)
    playwright_api.expect(rows.first).to_contain_text("appsflyer")
    send(server, "/pb/adjust", method="POST", json={"revenue": 50})
    send(server, "/pb/appsflyer", method="POST", json={"revenue": 1})
    send(server, "/pb/appsflyer", method="POST", json={"revenue": 7, "click_id": "rich"})
    playwright_api.expect(rows).to_have_count(2)
    playwright_api.expect(rows.first).to_contain_text("rich")


def test_detail_shows_the_exact_binary_body_and_runs_nothing_captured(page, server):
    view = send(server, f"/pb/bin/upload?tag={XSS_IMG}", method="POST", content=BINARY,
                headers={"Content-Type": "application/octet-stream", "X-Evil": XSS_SCRIPT})
    page.goto(f"{server.url}/ui/postbacks/{view['id']}")
    hex_text = "".join(page.locator("#body-hex .bytes").all_inner_texts())
    assert bytes.fromhex(hex_text) == BINARY
    playwright_api.expect(page.locator("#headers-table")).to_contain_text(XSS_SCRIPT)
    playwright_api.expect(page.locator("#query-table")).to_contain_text(XSS_IMG)
    page.goto(f"{server.url}/ui/")  # the list with the same payloads
    playwright_api.expect(page.locator("#postbacks tbody tr").first).to_contain_text("onerror")


def test_assert_on_this_builds_an_assertion_that_holds(page, server):
    seed(server)
    view = send(server, "/pb/appsflyer?click_id=c-2001", method="POST",
                json={"event_name": "af_purchase", "revenue": 12.5, "items": [{"sku": "A1"}]})
    page.goto(f"{server.url}/ui/postbacks/{view['id']}")
    shoot(page, "postback")
    page.check('#assert-form input[value="json.revenue"]')
    page.check('#assert-form input[value="json.items[0].sku"]')
    page.click("#assert-form button[type=submit]")
    playwright_api.expect(page.locator("#assert-json")).to_contain_text("json.items[0].sku")
    assertion = json.loads(page.locator("#assert-json").inner_text())
    assert assertion["where"] == {"click_id": "c-2001", "event_name": "af_purchase",
                                  "revenue": "12.5", "json.revenue": 12.5,
                                  "json.items[0].sku": "A1"}
    answer = httpx.post(f"{server.url}/api/assert", json=assertion).json()
    assert answer["ok"] and answer["matched_ids"] == [view["id"]], answer
    assert "--where 'json.items[0].sku=A1'" in page.locator("#assert-cli").inner_text()
    page.click("#assert-check")
    playwright_api.expect(page.locator("#assert-result")).to_have_class("result ok")


def test_replay_arrives_on_the_sandbox_receiver(page, server):
    view = send(server, "/pb/origin/x?click_id=r-1&event=install", method="POST",
                content=BINARY, headers={"Content-Type": "application/octet-stream"})
    page.goto(f"{server.url}/ui/postbacks/{view['id']}")
    page.fill("#replay-url", f"{server.url}/pb/replayed/again")
    page.click("#replay-form button[type=submit]")
    playwright_api.expect(page.locator("#replay-result")).to_contain_text("→ 200")
    copies = httpx.get(f"{server.url}/api/postbacks", params={"channel": "replayed"}).json()
    copy = copies["postbacks"][0]
    assert copy["query_string"] == "click_id=r-1&event=install"
    assert httpx.get(f"{server.url}/api/postbacks/{copy['id']}/body").content == BINARY


def test_channels_edit_and_clear_with_confirmation_and_charts(page, server):
    seed(server)
    verification = {"kind": "query_token", "token": "s3cret-token", "param": "t"}
    httpx.put(f"{server.url}/api/channels/adjust", json={"verification": verification})
    page.goto(f"{server.url}/ui/channels")
    card = page.locator('section.channel[data-channel="adjust"]')
    playwright_api.expect(card.locator(".verification")).to_contain_text("query_token")
    assert "s3cret-token" not in card.inner_text()  # masked on the page
    card.locator("input[name=status]").fill("202")
    card.locator("input[name=fail_first]").fill("2")
    card.locator("button[type=submit]").click()
    playwright_api.expect(card.locator("form .result")).to_have_text("Saved")
    answer = httpx.get(f"{server.url}/api/channels/adjust").json()["answer"]
    assert (answer["status"], answer["fail_first"]) == (202, 2)
    kept = httpx.get(f"{server.url}/api/channels/adjust?reveal=1").json()["verification"]
    assert kept["token"] == "s3cret-token"  # saving the answer kept the verification
    shoot(page, "channels")

    card = page.locator('section.channel[data-channel="appsflyer"]')
    card.locator("button.clear").click()
    playwright_api.expect(card.locator(".confirm")).to_be_visible()
    card.locator("button.confirm-yes").click()
    playwright_api.expect(card.locator(".danger .result")).to_have_text("Deleted 2 postbacks")
    left = httpx.get(f"{server.url}/api/postbacks", params={"channel": "appsflyer"}).json()
    assert left["postbacks"] == []

    page.goto(f"{server.url}/ui/charts")
    playwright_api.expect(page.locator("#per-minute svg.plot rect")).not_to_have_count(0)
    playwright_api.expect(page.locator("#event-names svg.plot rect")).not_to_have_count(0)
    shoot(page, "charts")


def failed_run(server) -> int:
    """A small scenario run (on the live server's database) against the live server's own
    receiver, on a channel that answers 503: every delivery fails after two attempts."""
    httpx.put(f"{server.url}/api/channels/broken", json={"answer": {"status": 503}})
    data = small_scenario(f"{server.url}/pb/broken/install?click_id={{click_id}}", delivery={
        "concurrency": 2, "retry": {"attempts": 2, "base": "10ms", "jitter": 0}})
    store = Store(server.db)
    run = ScenarioRun(store, scenario_from_data(data), RunOptions(), clock=SystemClock())
    try:  # in a thread of its own: Playwright's event loop runs in this one
        with ThreadPoolExecutor(1) as pool:
            outcome = pool.submit(run.deliver).result(timeout=60)
    finally:
        store.close()
    assert outcome.stats.failed == outcome.stats.sent > 0
    return outcome.run_id


def test_runs_deliveries_and_a_resend_that_arrives(page, server):
    run_id = failed_run(server)
    page.goto(f"{server.url}/ui/runs")
    page.click(f'#runs tr[data-id="{run_id}"] td:nth-child(2) a')
    playwright_api.expect(page.locator("h1")).to_contain_text(f"Run #{run_id}")
    playwright_api.expect(page.locator("#delivery-latency svg.plot rect")).not_to_have_count(0)
    shoot(page, "run")
    page.goto(f"{server.url}/ui/runs")
    shoot(page, "runs")

    page.goto(f"{server.url}/ui/runs/{run_id}")
    page.click("#run-deliveries a:has-text('failed')")
    rows = page.locator("#deliveries tbody tr")
    playwright_api.expect(rows.first).to_have_attribute("data-state", "failed")
    assert rows.count() == len(httpx.get(f"{server.url}/api/deliveries", params={
        "run": run_id, "state": "failed"}).json()["deliveries"])
    shoot(page, "deliveries")

    rows.first.locator("td:first-child a").click()
    playwright_api.expect(page.locator("#attempts tbody tr")).to_have_count(2)
    httpx.put(f"{server.url}/api/channels/broken", json={"answer": {"status": 200}})
    before = httpx.get(f"{server.url}/api/postbacks", params={"channel": "broken"}).json()
    page.click("#resend")
    playwright_api.expect(page.locator("#delivery-state")).to_have_text("delivered")
    playwright_api.expect(page.locator("#attempts tbody tr")).to_have_count(3)
    playwright_api.expect(page.locator("#attempts tbody tr").last).to_contain_text("200")
    after = httpx.get(f"{server.url}/api/postbacks", params={"channel": "broken"}).json()
    arrived = after["postbacks"][0]
    assert arrived["id"] > before["postbacks"][0]["id"] and arrived["response"]["status"] == 200
    shoot(page, "delivery")

    page.goto(f"{server.url}/ui/charts?run={run_id}")
    playwright_api.expect(page.locator("#delivery-latency svg.plot rect")).not_to_have_count(0)
