"""Chart data: the /api/stats endpoints agree with the stored rows, counted independently."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.stats import event_breakdown, minute_series, window_start
from sandbox.web.inspector_charts import event_bars, minute_bars

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
