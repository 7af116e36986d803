"""Chart data: the /api/stats endpoints agree with the stored rows, counted independently."""

from __future__ import annotations

import bisect
import json
from collections import Counter
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.delivery.engine import click_to_install
from sandbox.delivery.run import RunOptions, ScenarioRun
from sandbox.query.stats import (
    CTIT_EDGES_S,
    CTIT_LABELS,
    LATENCY_EDGES_MS,
    event_breakdown,
    latency_histogram,
    minute_series,
    window_start,
)
from sandbox.scenarios.load import scenario_from_data
from sandbox.store.clicks import NewClick
from sandbox.store.deliveries import AttemptEvent, AttemptRecord, DeliveryRecord
from sandbox.store.installs import NewInstall
from sandbox.web.inspector_charts import (
    SERIES_COLOURS,
    event_bars,
    latency_chart,
    minute_bars,
)
from tests.delivery_helpers import Answer, ScriptedServer, small_scenario

EVENTS = ["install", "purchase", None]


def stored_rows(client) -> list[dict]:
    lines = client.get("/api/export").get_data(as_text=True).splitlines()
    return [json.loads(line) for line in lines]


@pytest.fixture
def traffic(client, clock):
    """Postbacks spread over 5 minutes on three channels, some without an event name."""
    plan = [(0, "net1", "install"), (0, "net1", "install"), (20, "net2", "purchase"),
            (65, "net1", None), (130, "net3", "purchase"), (250, "net1", "install")]
    elapsed = 0
    for at, channel, event in plan:
        clock.advance(at - elapsed)
        elapsed = at
        query = f"?event={event}" if event else ""
        client.get(f"/pb/{channel}{query}")
    return client


def test_postbacks_per_minute_matches_the_stored_rows(traffic, clock):
    answer = traffic.get("/api/stats/postbacks-per-minute?minutes=10").json
    rows = stored_rows(traffic)
    expected = Counter((row["received_at"][:16], row["channel"]) for row in rows)
    seen = Counter()
    for channel in answer["channels"]:
        for minute, count in zip(answer["minutes"], channel["counts"], strict=True):
            if count:
                seen[(minute, channel["channel"])] = count
    assert seen == expected
    assert answer["total"] == len(rows)
    assert len(answer["minutes"]) == 10
    assert answer["minutes"][-1] == clock.now().isoformat()[:16]


def test_per_minute_window_and_channel_filter(traffic):
    answer = traffic.get("/api/stats/postbacks-per-minute?minutes=2&channel=net1").json
    rows = [r for r in stored_rows(traffic) if r["channel"] == "net1"
            and r["received_at"][:16] >= answer["minutes"][0]]
    assert answer["total"] == len(rows) == 1
    assert [c["channel"] for c in answer["channels"]] == ["net1"]


def test_event_names_match_the_stored_rows(traffic):
    answer = traffic.get("/api/stats/event-names").json
    rows = stored_rows(traffic)
    expected = Counter(row["keys"]["event_name"] for row in rows)
    assert {e["event_name"]: e["total"] for e in answer["events"]} == expected
    totals = [e["total"] for e in answer["events"]]
    assert totals == sorted(totals, reverse=True)
    purchase = next(e for e in answer["events"] if e["event_name"] == "purchase")
    assert purchase["channels"] == {"net2": 1, "net3": 1}
    assert answer["total"] == len(rows) and answer["other"] == 0


def test_event_names_limit_counts_the_rest_as_other(traffic):
    answer = traffic.get("/api/stats/event-names?limit=1").json
    assert [e["event_name"] for e in answer["events"]] == ["install"]
    assert answer["other"] == answer["total"] - 3


@pytest.mark.parametrize("url", [
    "/api/stats/postbacks-per-minute?minutes=0",
    "/api/stats/postbacks-per-minute?minutes=1441",
    "/api/stats/postbacks-per-minute?channel=bad%20name",
    "/api/stats/event-names?limit=0",
    "/api/stats/event-names?channel=bad%20name",
])
def test_bad_parameters_are_refused_by_name(client, url):
    answer = client.get(url)
    assert answer.status_code == 400
    assert answer.json["error"]["field"] in ("minutes", "channel", "limit")


def test_charts_page_draws_one_bar_per_nonzero_minute_and_channel(traffic):
    answer = traffic.get("/api/stats/postbacks-per-minute?minutes=10").json
    cells = sum(1 for c in answer["channels"] for n in c["counts"] if n)
    html = traffic.get("/ui/charts?minutes=10").get_data(as_text=True)
    per_minute = html.split('id="per-minute"')[1].split("</svg>")[0]  # the plot, not legend
    assert per_minute.count("<rect class=\"series-") == cells
    events = html.split('id="event-names"')[1].split("</section>")[0]
    assert events.count("<rect class=\"series-") == 3


counts = st.lists(st.tuples(st.integers(0, 9), st.sampled_from(["a", "b", "c"]),
                            st.integers(1, 50)), max_size=20)


@given(counts)
def test_minute_series_keeps_every_count_in_the_window(rows):
    start = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    labelled = [(f"2026-01-01T10:{minute:02d}", channel, n) for minute, channel, n in rows]
    series = minute_series(labelled, start=start, minutes=5)
    assert series["total"] == sum(n for minute, _, n in rows if minute < 5)
    chart = minute_bars(series)
    plot_height = chart["bottom"] - chart["top"]
    for rect in chart["rects"]:
        assert chart["top"] - 0.2 <= rect["y"] and rect["y"] + rect["h"] <= chart["bottom"] + 0.2
        assert rect["h"] <= plot_height + 0.2


@given(st.lists(st.tuples(st.sampled_from(EVENTS), st.sampled_from(["a", "b"]),
                          st.integers(1, 9)), max_size=12), st.integers(1, 5))
def test_event_breakdown_adds_up(rows, limit):
    breakdown = event_breakdown(rows, limit=limit)
    assert breakdown["total"] == sum(n for _, _, n in rows)
    listed = sum(e["total"] for e in breakdown["events"])
    assert listed + breakdown["other"] == breakdown["total"]
    assert len(event_bars(breakdown)["bars"]) == len(breakdown["events"])


def test_window_start_is_whole_minutes_ending_now():
    now = datetime(2026, 1, 1, 10, 7, 31, 5, tzinfo=UTC)
    assert window_start(now, 1) == datetime(2026, 1, 1, 10, 7, tzinfo=UTC)
    assert window_start(now, 60) == datetime(2026, 1, 1, 9, 8, tzinfo=UTC)


# --- delivery latency and click-to-install time ---------------------------------------------


def bucket_of(value: float, edges: tuple[float, ...]) -> int:
    return bisect.bisect_right(edges, value)


def delivery(seq: int, *, kind: str = "install", ctit: float | None = None,
             run_id: int | None = None, install_id: str | None = None) -> AttemptEvent:
    record = DeliveryRecord(
        postback_id=f"pb_{seq}", kind=kind, network="net", method="GET",
        url=f"http://127.0.0.1:9/pb/x?n={seq}", headers=(), body=None, run_id=run_id,
        seq=seq, install_id=install_id or f"ins_{seq}", ctit_seconds=ctit)
    attempt = AttemptRecord(1, "2026-01-05T00:00:00.000000Z", 200, 1.0, None)
    return AttemptEvent(seq, record, attempt, "delivered", record.url, (),
                        "2026-01-05T00:00:00.000000Z")


@pytest.fixture
def outbound_run(client, store, clock):
    """A small run: its first attempts meet 503 (retried), the rest land, latencies vary."""
    server = ScriptedServer()
    server.answer(Answer(503), Answer(503, delay=0.02), Answer(200), Answer(200, delay=0.006))
    data = small_scenario(f"{server.url}/pb/small/install?click_id={{click_id}}",
                          delivery={"concurrency": 1, "retry": {"attempts": 3, "jitter": 0}})
    try:
        outcome = ScenarioRun(store, scenario_from_data(data), RunOptions(),
                              clock=clock).deliver()
    finally:
        server.close()
    return outcome.run_id


def test_delivery_latency_matches_every_stored_attempt(client, outbound_run):
    answer = client.get(f"/api/stats/delivery-latency?run={outbound_run}").json
    attempts = [
        attempt
        for d in client.get(f"/api/deliveries?run={outbound_run}&limit=500").json["deliveries"]
        for attempt in client.get(f"/api/deliveries/{d['id']}").json["attempt_log"]
    ]
    ok = Counter(bucket_of(a["latency_ms"], LATENCY_EDGES_MS) for a in attempts
                 if a["status"] == 200)
    failed = Counter(bucket_of(a["latency_ms"], LATENCY_EDGES_MS) for a in attempts
                     if a["status"] != 200)
    assert [b["ok"] for b in answer["buckets"]] == [ok[i] for i in range(13)]
    assert [b["failed"] for b in answer["buckets"]] == [failed[i] for i in range(13)]
    assert answer["failed"] == 2 and answer["total"] == len(attempts) > 5
    everything = client.get("/api/stats/delivery-latency").json
    assert everything["run"] is None and everything["total"] == answer["total"]


CTITS = [0.0, 3.5, 9.999, 10.0, 59.0, 60.0, 600.0, 3599.0, 7200.0, 86399.0, 86400.0,
         604800.0, 2e6]


def test_ctit_histogram_matches_the_stored_install_deliveries(client, store):
    events = [delivery(i + 1, ctit=c) for i, c in enumerate(CTITS)]
    events += [delivery(100, kind="event"), delivery(101, ctit=None)]  # neither counts
    store.deliveries.write_events(events, {})
    answer = client.get("/api/stats/ctit").json
    stored = [row["ctit_seconds"] for row in store.connection().execute(
        "SELECT ctit_seconds FROM deliveries WHERE kind = 'install'")]
    expected = Counter(bucket_of(c, CTIT_EDGES_S) for c in stored if c is not None)
    assert [b["count"] for b in answer["buckets"]] == [expected[i] for i in range(8)]
    assert [b["label"] for b in answer["buckets"]] == list(CTIT_LABELS)
    assert answer["total"] == len(CTITS) and answer["run"] is None
    assert answer["injection_suspects"] == 3  # 0, 3.5 and 9.999 s
    assert answer["spam_suspects"] == 3  # a day, a week, 23 days


def test_ctit_of_a_live_install_comes_from_its_stored_click(client, store):
    store.clicks.insert(NewClick("clk-9", "c1", "net", "2026-01-05T00:00:00.000000Z",
                                 1767571200.0, None, None, "ios", None))
    store.installs.insert(NewInstall(
        "ins_live", "ios", None, {}, (), "clk-9", "click_id", "net", "c1",
        "2026-01-05T00:00:05.000000Z", 1767571205.0, "2026-01-05T00:00:05.000000Z", "s2s"))
    store.deliveries.write_events([delivery(1, install_id="ins_live")], {})
    assert client.get("/api/stats/ctit").json["buckets"][0]["count"] == 1


def test_a_runs_charts_count_only_its_deliveries(client, store, outbound_run):
    in_run = client.get(f"/api/stats/ctit?run={outbound_run}").json["total"]
    overall = client.get("/api/stats/ctit").json["total"]
    store.deliveries.write_events([delivery(900, ctit=30.0, run_id=outbound_run),
                                   delivery(901, ctit=30.0)], {})
    assert client.get(f"/api/stats/ctit?run={outbound_run}").json["total"] == in_run + 1
    assert client.get("/api/stats/ctit").json["total"] == overall + 2


@pytest.mark.parametrize("url,status,field", [
    ("/api/stats/ctit?run=x", 400, "run"),
    ("/api/stats/ctit?run=999", 404, "run"),
    ("/api/stats/delivery-latency?run=0", 400, "run"),
    ("/api/stats/delivery-latency?network=net", 400, "network"),
])
def test_chart_parameters_are_checked(client, url, status, field):
    answer = client.get(url)
    assert (answer.status_code, answer.json["error"]["field"]) == (status, field)


@pytest.mark.parametrize("kind,click_time,expected", [
    ("install", 1767571100.0, 100.0), ("install", None, None), ("event", 1767571100.0, None)])
def test_the_engine_logs_ctit_when_the_postback_knows_its_click(kind, click_time, expected):
    postback = SimpleNamespace(kind=kind, scheduled_at=1767571200.0, click_time=click_time)
    assert click_to_install(postback) == expected


@given(st.lists(st.tuples(st.integers(0, 12), st.booleans(), st.integers(1, 50))))
def test_latency_histogram_keeps_every_count(rows):
    shaped = latency_histogram(rows)
    assert shaped["total"] == sum(n for _, _, n in rows) == shaped["ok"] + shaped["failed"]
    assert len(shaped["buckets"]) == len(LATENCY_EDGES_MS) + 1
    bars = latency_chart({"run": None, **shaped})
    assert len(bars["rects"]) == sum(
        (b["ok"] > 0) + (b["failed"] > 0) for b in shaped["buckets"])
    assert all(r["y"] >= 0 and r["y"] + r["h"] <= bars["bottom"] + 0.2 for r in bars["rects"])


@given(st.lists(st.tuples(st.integers(0, 4), st.sampled_from([f"ch{n}" for n in range(12)]),
                          st.integers(1, 50)), max_size=60))
def test_no_two_charted_channels_share_a_colour_and_no_count_is_lost(rows):
    start = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    labelled = [(f"2026-01-01T10:{minute:02d}", channel, n) for minute, channel, n in rows]
    series = minute_series(labelled, start=start, minutes=5)
    chart = minute_bars(series)
    colours = [entry["css"] for entry in chart["legend"]]
    assert len(colours) == len(set(colours)) <= SERIES_COLOURS
    assert sum(entry["total"] for entry in chart["legend"]) == series["total"]
