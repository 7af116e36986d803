"""The certification report in real headless Chromium: it renders, lists every case, runs no
script (a hostile answer shown in it stays text) and loads nothing."""

from __future__ import annotations

import shutil
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from sandbox.delivery.certify_report import report_html
from sandbox.store import Store
from tests.test_certify import run_certify, url_of

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian's chromium"),
]


def test_the_report_renders_every_case_and_runs_nothing(bad_receiver: ThreadingHTTPServer,
                                                         tmp_path: Path):
    store = Store(str(tmp_path / "s.db"))
    try:
        done = run_certify(store, url_of(bad_receiver, "lenient"))
    finally:
        store.close()
    report = tmp_path / "report.html"
    report.write_text(report_html(done), encoding="utf-8")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        errors: list[str] = []
        requests: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("request", lambda request: requests.append(request.url))
        page.goto(report.as_uri())
        rows = page.locator("tr.case")
        assert rows.count() == len(done.results)
        names = [rows.nth(i).locator("td").first.locator("strong").inner_text()
                 for i in range(rows.count())]
        assert names == [result.case.name for result in done.results]
        assert page.evaluate("window.__pwned") is None  # the answer's <script> stayed text
        assert "<script>window.__pwned=1</script>" in page.locator("body").inner_text()
        assert page.locator("h1").inner_text() == "Postback endpoint certification"
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert errors == [] and requests == [report.as_uri()]  # nothing else was loaded
