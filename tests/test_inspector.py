"""The inspector's pages and their JSON twins, through the in-process client."""

from __future__ import annotations

import gzip
import json
import re
import time

import pytest

from sandbox.clock import FakeClock
from sandbox.delivery.run import RunOptions, ScenarioRun
from sandbox.query import listing as postback_query
from sandbox.query import search as postback_search
from sandbox.query.conditions import parse_conditions
from sandbox.query.listing import page as search_page
from sandbox.query.listing import parse_query as parse_search
from sandbox.query.matchers import matches, parse_where
from sandbox.query.search import follow
from sandbox.scenarios.load import scenario_from_data
from sandbox.web.inspector import CONTENT_SECURITY_POLICY
from tests.delivery_helpers import Answer, ScriptedServer, small_scenario

XSS_SCRIPT = "<script>window.__pwned=1</script>"
XSS_IMG = '<img src=x onerror="window.__pwned=2">'
BINARY = bytes(range(256)) + b"\x00\xff<script>"


@pytest.fixture
def populated(client, clock):
    client.get("/pb/net1/install?click_id=abc&event=install&event=x&blank=", headers={"X-A": "1"})
    clock.advance(1)
    client.post("/pb/net1", json={"revenue": 1.5, "note": XSS_SCRIPT, "items": [{"sku": "a"}]})
    client.post("/pb/net2/ev?event=purchase", data={"amount": "9.99", "tag": XSS_IMG})
    client.post("/pb/bin", data=BINARY, content_type="application/octet-stream",
                headers={"X-Evil": XSS_IMG})
    client.post("/pb/net2/gz", data=gzip.compress(b'{"event": "gz"}'),
                headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
    return client


def row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)">', html)]


def all_views(client) -> list[dict]:
    return client.get("/api/postbacks?limit=500").json["postbacks"]


PAGES = ["/ui/", "/ui/postbacks/1", "/ui/postbacks/2", "/ui/postbacks/3", "/ui/postbacks/4",
         "/ui/postbacks/5", "/ui/channels", "/ui/charts", "/ui/?where=nonsense",
         "/ui/postbacks/999"]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_has_the_policy_and_no_inline_script(populated, url):
    answer = populated.get(url)
    assert answer.status_code in (200, 404)
    assert answer.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    html = answer.get_data(as_text=True)
    for tag in re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S):
        assert tag == ""  # every script is a src= file from /static/
    assert re.search(r"<script\b(?![^>]*\bsrc=\"/static/)", html) is None
    assert not re.search(r"<[^>]+\son[a-z]+=", html), "no inline event handler attributes"


@pytest.mark.parametrize("url", ["/ui/", "/ui/postbacks/2", "/ui/postbacks/3", "/ui/postbacks/4"])
def test_captured_markup_is_escaped(populated, url):
    html = populated.get(url).get_data(as_text=True)
    assert "<script>window" not in html and "<img src=x" not in html
    assert "pwned" not in html or "&lt;" in html


def test_list_is_newest_first_and_matches_its_json_twin(populated):
    html = populated.get("/ui/").get_data(as_text=True)
    api_ids = [v["id"] for v in all_views(populated)]
    assert row_ids(html) == api_ids == [5, 4, 3, 2, 1]


@pytest.mark.parametrize("query", ["channel=net2", "method=GET", "q=purchase", "click_id=abc"])
def test_simple_filters_match_the_api(populated, query):
    html = populated.get(f"/ui/?{query}").get_data(as_text=True)
    twin = [v["id"] for v in populated.get(f"/api/postbacks?{query}").json["postbacks"]]
    assert row_ids(html) == twin and twin


@pytest.mark.parametrize("conditions", [
    ["query.event=install"], ["json.revenue>=1"], ["form.amount=9.99", "channel=net2"],
    ["body~script"], ["header.x-evil?"], ["!json.revenue?"], ["query.event in install|purchase"],
    ["body contains gz"],
])
def test_conditions_filter_like_the_matcher(populated, conditions):
    query = "&".join(f"where={c}" for c in conditions).replace("+", "%2B")
    html = populated.get(f"/ui/?{query}").get_data(as_text=True)
    where = parse_where(parse_conditions(conditions))
    expected = [v["id"] for v in all_views(populated) if matches(where, v)]
    assert row_ids(html) == expected and expected


def test_conditions_one_a_line_from_the_form(populated):
    html = populated.get("/ui/?where=channel%3Dnet1%0D%0Aquery.event%3Dinstall").get_data(
        as_text=True)
    assert row_ids(html) == [1]


def test_verdict_filter(populated, store):
    store.connection().execute("UPDATE captures SET verdict = 'invalid' WHERE id IN (2, 4)")
    assert row_ids(populated.get("/ui/?verdict=invalid").get_data(as_text=True)) == [4, 2]
    assert row_ids(populated.get("/ui/?verdict=none").get_data(as_text=True)) == [5, 3, 1]


def test_a_bad_condition_is_shown_on_the_page_and_refused_by_the_stream(populated):
    answer = populated.get("/ui/?where=nope%3D1")
    assert answer.status_code == 200
    assert "unknown field" in answer.get_data(as_text=True)
    stream = populated.get("/api/postbacks/stream?where=nope%3D1")
    assert stream.status_code == 400 and stream.json["error"]["field"] == "where"


@pytest.mark.parametrize("scan", [3, 5000])
def test_pages_with_residual_conditions_cover_every_match_once(client, store, monkeypatch, scan):
    monkeypatch.setattr(postback_query, "MAX_SCAN", scan)
    for n in range(30):
        client.post("/pb/many", data=f"row {n} {'hit' if n % 3 == 0 else 'miss'}")
    seen, cursor = [], None
    for _ in range(100):
        args = {"limit": "4", **({"cursor": cursor} if cursor else {})}
        page = search_page(store, parse_search(args, where=["body~hit"]))
        assert page["count"] <= 4
        seen += [v["id"] for v in page["postbacks"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [n + 1 for n in range(29, -1, -1) if n % 3 == 0]


def test_detail_shows_query_repeats_headers_and_answer(populated):
    html = populated.get("/ui/postbacks/1").get_data(as_text=True)
    table = html.split('id="query-table"')[1].split("</table>")[0]
    cells = re.findall(r'<td class="mono">(.*?)</td>', table)
    assert cells == ["click_id", "abc", "event", "install", "event", "x", "blank",
                     '<span class="blank">(blank)</span>']
    assert "X-A" in html.split('id="headers-table"')[1].split("</table>")[0]
    assert "Not verified" in html
    assert 'value="click_id"' in html and "click_id=abc" in html


def test_detail_shows_a_binary_body_as_exact_hex(populated):
    html = populated.get("/ui/postbacks/4").get_data(as_text=True)
    dump = html.split('id="body-hex"')[1].split("</pre>")[0]
    hex_bytes = re.findall(r'<span class="bytes">([0-9a-f ]+)</span>', dump)
    assert bytes.fromhex("".join(hex_bytes)) == BINARY
    assert "@postback-4.body" in html  # curl reads a binary body from the downloaded file


def test_detail_shows_json_tree_form_table_and_decoded_body(populated):
    json_page = populated.get("/ui/postbacks/2").get_data(as_text=True)
    assert '<span class="key">revenue</span>: <span class="j-num">1.5</span>' in json_page
    form_page = populated.get("/ui/postbacks/3").get_data(as_text=True)
    assert 'id="form-table"' in form_page and "9.99" in form_page
    gz_page = populated.get("/ui/postbacks/5").get_data(as_text=True)
    assert "Decoded (gzip)" in gz_page and "&#34;gz&#34;" in gz_page


def test_verdict_and_explanation_are_shown(populated, store):
    detail = json.dumps({"explanation": "signature <b>mismatch</b>", "expected": "ab"})
    store.derivation.settle()  # the edit below must come after the deriver's write
    store.connection().execute(
        "UPDATE captures SET verdict = 'invalid', verdict_detail_json = ?, lint_json = ? "
        "WHERE id = 1", (detail, json.dumps([{"level": "warn", "message": "no tx id"}])))
    html = populated.get("/ui/postbacks/1").get_data(as_text=True)
    assert 'class="verdict v-invalid"' in html
    assert "signature &lt;b&gt;mismatch&lt;/b&gt;" in html
    assert "no tx id" in html


def test_missing_postback_is_an_html_404(populated):
    answer = populated.get("/ui/postbacks/999")
    assert answer.status_code == 404 and "no postback with id 999" in answer.get_data(as_text=True)


def test_built_assertion_holds_on_api_assert(populated):
    built = populated.get(
        "/api/postbacks/3/assertion?field=query.event&field=form.amount&field=form.tag").json
    assert built["assertion"]["where"] == {"query.event": "purchase", "form.amount": "9.99",
                                           "form.tag": XSS_IMG}
    answer = populated.post("/api/assert", json=built["assertion"])
    assert answer.status_code == 200 and answer.json["ok"], answer.json
    assert answer.json["matched_ids"] == [3]


def test_assertion_endpoint_refuses_a_field_the_postback_lacks(populated):
    answer = populated.get("/api/postbacks/1/assertion?field=json.nothing")
    assert answer.status_code == 400 and answer.json["error"]["field"] == "field"


def test_channels_page_renders_its_json_twin(populated):
    populated.put("/api/channels/net2", json={"answer": {"status": 202, "fail_first": 3}})
    html = populated.get("/ui/channels").get_data(as_text=True)
    names = [c["channel"] for c in populated.get("/api/channels").json["channels"]]
    assert re.findall(r'<section class="card channel" data-channel="([^"]+)"', html) == names
    card = html.split('data-channel="net2" id="channel-net2"')[1].split("</section>")[0]
    assert 'name="status" min="100" max="599" value="202"' in card
    assert 'name="fail_first" min="0" value="3"' in card
    assert "Clear postbacks" in card


def events_of(body: str) -> list[tuple[str, dict]]:
    found = []
    for block in body.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line
                      and not line.startswith(":"))
        if "event" in fields:
            found.append((fields["event"], json.loads(fields["data"])))
    return found


def test_stream_sends_rows_above_after_id_that_match(populated):
    body = populated.get("/api/postbacks/stream?after_id=1&channel=net2").get_data(as_text=True)
    assert body.startswith("retry: ")
    events = events_of(body)
    assert events[0] == ("ready", {"last_id": 1})
    rows = [row for name, data in events if name == "postbacks" for row in data["rows"]]
    assert [r["id"] for r in rows] == [3, 5]
    assert rows[0]["event_name"] == "purchase" and rows[0]["status"] == 200
    assert ": keep-alive" in body  # heartbeats while nothing new arrives


def test_stream_resumes_from_last_event_id(populated):
    body = populated.get("/api/postbacks/stream?after_id=0",
                         headers={"Last-Event-ID": "4"}).get_data(as_text=True)
    rows = [row for name, data in events_of(body) if name == "postbacks" for row in data["rows"]]
    assert [r["id"] for r in rows] == [5]


class ArrivingClock(FakeClock):
    """A fake clock on which things happen while the follower sleeps."""

    def __init__(self, *arrivals) -> None:
        super().__init__()
        self.arrivals = list(arrivals)

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        if self.arrivals:
            self.arrivals.pop(0)()


def test_follow_reports_new_rows_bursts_and_clears(client, store):
    def burst() -> None:
        for n in range(postback_search.TAIL_LIMIT + 5):
            client.get(f"/pb/burst?n={n}")

    clock = ArrivingClock(lambda: client.get("/pb/a?event=one"), burst,
                          lambda: client.delete("/api/postbacks"), lambda: client.get("/pb/b"))
    tails = [t for t in follow(store, parse_search({}), clock, after_id=0, lifetime=10)
             if not t.heartbeat]
    assert [r["channel"] for r in tails[0].rows] == ["a"] and not tails[0].more
    assert len(tails[1].rows) == postback_search.TAIL_LIMIT and tails[1].more
    assert tails[1].rows[-1]["id"] == tails[1].last_id  # the newest, oldest first
    assert tails[2].reset
    assert [r["channel"] for r in tails[3].rows] == ["b"]


def test_follow_polls_cheaply_and_stops_after_its_lifetime(store):
    clock = FakeClock()
    tails = list(follow(store, parse_search({}), clock, after_id=0, lifetime=30, poll=0.5,
                        heartbeat=10))
    assert [t.heartbeat for t in tails] == [True, True]
    assert clock.monotonic() == pytest.approx(30)


def test_a_page_renders_fast_with_100000_rows(client, store):
    client.post("/pb/seed/x?click_id=c&event=install", json={"revenue": 1, "note": "filler"})
    conn = store.connection()
    conn.execute("BEGIN")
    for _ in range(17):  # doubling: 2^17 rows
        conn.execute(
            "INSERT INTO captures (channel, method, path, query_string, query_json, "
            "headers_json, body, json_body, received_at, body_size, response_status, click_id, "
            "event_name) SELECT channel, method, path, query_string, query_json, headers_json, "
            "body, json_body, received_at, body_size, response_status, click_id, event_name "
            "FROM captures")
    conn.execute("COMMIT")
    assert store.captures.count() >= 100_000
    for url in ("/ui/", "/ui/?channel=seed&where=json.revenue%3E%3D1", "/ui/?q=nowhere",
                "/ui/?where=body~nowhere", "/ui/charts", "/ui/channels"):
        started = time.perf_counter()
        answer = client.get(url)
        elapsed = time.perf_counter() - started
        assert answer.status_code == 200
        assert elapsed < 1.0, f"{url} took {elapsed:.2f} s"


def test_detail_links_to_the_timeline_of_its_click(client):
    capture_id = client.get("/pb/net1?click_id=c8f1e2").json["id"]
    html = client.get(f"/ui/postbacks/{capture_id}").get_data(as_text=True)
    assert 'href="/ui/timeline/c8f1e2"' in html


# --- deliveries and runs -------------------------------------------------------------------

HOSTILE_ANSWER = '<script>window.__pwned=4</script><img src=x onerror="1">'


@pytest.fixture(scope="module")
def target():
    server = ScriptedServer()
    yield server
    server.close()


@pytest.fixture
def failed_run(client, store, clock, target) -> int:
    """A small run whose target answers 503 (with markup in its body) to every attempt."""
    target.answer(Answer(503, body=HOSTILE_ANSWER))
    data = small_scenario(f"{target.url}/pb/small/install?click_id={{click_id}}",
                          delivery={"concurrency": 1, "retry": {"attempts": 2, "jitter": 0}})
    outcome = ScenarioRun(store, scenario_from_data(data), RunOptions(), clock=clock).deliver()
    assert outcome.stats.failed == outcome.stats.sent > 5
    return outcome.run_id


def rows_of(html: str, table: str) -> list[int]:
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)"', body)]


OUTBOUND_PAGES = ["/ui/deliveries", "/ui/deliveries?state=failed", "/ui/deliveries/1",
                  "/ui/runs", "/ui/runs/1", "/ui/charts?run=1", "/ui/deliveries/999",
                  "/ui/runs/999", "/ui/deliveries?state=lost"]


@pytest.mark.parametrize("url", OUTBOUND_PAGES)
def test_outbound_pages_have_the_policy_and_escape_answers(client, failed_run, url):
    answer = client.get(url)
    assert answer.status_code == (404 if "999" in url else 200)
    assert answer.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    html = answer.get_data(as_text=True)
    assert re.search(r"<script\b(?![^>]*\bsrc=\"/static/)", html) is None
    assert not re.search(r"<[^>]+\son[a-z]+=", html)
    assert "<img src=x" not in html


@pytest.mark.parametrize("query", ["", "state=failed", "state=delivered", "kind=install",
                                   "network=net", "network=other", "run=1", "run=2"])
def test_deliveries_page_lists_its_json_twin(client, failed_run, query):
    twin = client.get(f"/api/deliveries?{query}").json["deliveries"]
    html = client.get(f"/ui/deliveries?{query}").get_data(as_text=True)
    assert rows_of(html, "deliveries") == [d["id"] for d in twin]
    assert f"JSON twin of this page: <a href=\"/api/deliveries{'?' + query if query else ''}\"" \
        in html


def test_deliveries_page_shows_a_bad_filter_and_pages_with_a_cursor(client, failed_run):
    html = client.get("/ui/deliveries?kind=click").get_data(as_text=True)
    assert 'id="filter-error"' in html and "kind: expected one of" in html
    first = client.get("/ui/deliveries?limit=3").get_data(as_text=True)
    cursor = re.search(r'id="older" href="[^"]*cursor=(\d+)"', first).group(1)
    second = client.get(f"/ui/deliveries?limit=3&cursor={cursor}").get_data(as_text=True)
    ids = rows_of(first, "deliveries") + rows_of(second, "deliveries")
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 6


def test_delivery_page_shows_every_attempt_and_offers_resend_when_failed(client, failed_run):
    detail = client.get("/api/deliveries/1").json
    html = client.get("/ui/deliveries/1").get_data(as_text=True)
    numbers = [int(n) for n in re.findall(r'data-number="(\d+)"', html)]
    assert numbers == [a["number"] for a in detail["attempt_log"]] == [1, 2]
    assert html.count(">503<") >= 2 and "&lt;script&gt;window.__pwned=4" in html
    assert 'id="resend"' in html and "/static/delivery.js" in html
    assert f"/ui/runs/{failed_run}" in html


def test_resend_from_the_page_is_refused_from_another_origin(client, failed_run, target):
    target.answer(Answer(200, body="ok"))
    refused = client.post("/api/deliveries/1/resend", headers={"Origin": "http://evil.example"})
    assert refused.status_code == 403
    assert client.get("/api/deliveries/1").json["attempts"] == 2
    sent = client.post("/api/deliveries/1/resend", headers={"Origin": "http://localhost"})
    assert sent.status_code == 200 and sent.json["state"] == "delivered"
    html = client.get("/ui/deliveries/1").get_data(as_text=True)
    assert re.findall(r'data-number="(\d+)"', html) == ["1", "2", "3"]
    assert 'id="resend"' not in html  # delivered now


def test_runs_pages_render_their_twins(client, failed_run):
    listing = client.get("/api/runs").json["runs"]
    html = client.get("/ui/runs").get_data(as_text=True)
    assert rows_of(html, "runs") == [r["id"] for r in listing] == [failed_run]
    assert f"/ui/deliveries?run={failed_run}" in html
    run = client.get(f"/api/runs/{failed_run}").json
    page = client.get(f"/ui/runs/{failed_run}").get_data(as_text=True)
    assert f"<dt>seed</dt><dd>{run['seed']}</dd>" in page
    assert f"<dt>failed</dt><dd>{run['summary']['failed']}</dd>" in page
    assert f"{run['deliveries']['failed']} failed</a>" in page
    latency = client.get(f"/api/stats/delivery-latency?run={failed_run}").json
    assert f"({latency['total']} attempts: 0 answered 2xx, {latency['total']} failed)" in page
    assert latency["total"] == run["summary"]["attempts"]


def test_run_page_shows_expectation_results_with_the_near_miss_report(client, failed_run,
                                                                       store):
    results = [
        {"ok": True, "name": "installs land", "matched": 3, "expected": {}, "duplicates": {},
         "near_misses": [], "waited": 0, "message": "3 postbacks matched"},
        {"ok": False, "name": "purchases land", "matched": 0, "expected": {}, "duplicates": {},
         "near_misses": [{"id": 7, "differences": [["query.event", "install", "purchase"]]}],
         "waited": 0, "message": "expected >=1, saw 0; closest: #7 query.event"},
    ]
    store.runs.set_expectations(failed_run, results)
    page = client.get(f"/ui/runs/{failed_run}").get_data(as_text=True)
    assert page.count('class="expectation pass"') == 1
    assert page.count('class="expectation fail"') == 1
    assert "expected &gt;=1, saw 0; closest: #7 query.event" in page
    assert 'href="/ui/postbacks/7"' in page
    listing = client.get("/ui/runs").get_data(as_text=True)
    assert "1/2 pass" in listing


def test_copy_as_curl_and_replay_send_what_was_captured(client):
    """curl must not glob a literal {click_id}, a NUL byte never goes into an argument, and
    replay starts from the original path, not the channel root."""
    client.post("/pb/curlch/deep/path?click_id={click_id}", data=b"a\x00b\x1b[31m",
                content_type="text/plain")
    html = client.get("/ui/postbacks/1").get_data(as_text=True)
    curl = html.split('id="curl">')[1].split("</pre>")[0]
    assert curl.count("--globoff") == 1
    assert "--data-binary @postback-1.body" in curl and "--data-raw" not in curl
    assert 'id="body-hex"' in html  # control characters are shown as bytes
    assert re.search(r'id="replay-url" value="http://localhost/pb/curlch/deep/path"', html)
