"""Chart data for the inspector: postbacks per minute per channel, the event-name breakdown,
the delivery latency distribution and the click-to-install time (CTIT) histogram.

The store counts (sandbox/store/stats.py); these functions shape the counts into series with
every minute (or bucket) present, so a chart and a test read the same dict the API answers.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sandbox.clock import iso_utc
from sandbox.store import Store
from sandbox.store import stats as store_stats

MAX_MINUTES = 24 * 60
DEFAULT_MINUTES = 60
MAX_EVENT_NAMES = 50
NO_EVENT = None  # postbacks without an extracted event name are counted under null


def minute_label(moment: datetime) -> str:
    """"2026-11-28T10:04": how a minute is named (the first 16 characters of received_at)."""
    return iso_utc(moment)[: store_stats.MINUTE_CHARS]


def window_start(now: datetime, minutes: int) -> datetime:
    """The first minute of a window of ``minutes`` whole minutes ending with the current one."""
    current = now.replace(second=0, microsecond=0)
    return current - timedelta(minutes=minutes - 1)


def minute_series(
    counts: Iterable[tuple[str, str, int]], *, start: datetime, minutes: int
) -> dict[str, Any]:
    """Shape (minute, channel, n) rows into one list of counts per channel, zeros filled in."""
    labels = [minute_label(start + timedelta(minutes=i)) for i in range(minutes)]
    index = {label: i for i, label in enumerate(labels)}
    per_channel: dict[str, list[int]] = {}
    for minute, channel, number in counts:
        if minute in index:
            series = per_channel.setdefault(channel, [0] * minutes)
            series[index[minute]] += number
    channels: list[dict[str, Any]] = [
        {"channel": name, "counts": series, "total": sum(series)}
        for name, series in sorted(per_channel.items())
    ]
    peak = max((max(series) for series in per_channel.values()), default=0)
    return {
        "minutes": labels,
        "channels": channels,
        "total": sum(c["total"] for c in channels),
        "peak": peak,
    }


def event_breakdown(
    counts: Iterable[tuple[str | None, str, int]], *, limit: int = MAX_EVENT_NAMES
) -> dict[str, Any]:
    """Shape (event_name, channel, n) rows into event names, most frequent first."""
    events: dict[str | None, dict[str, int]] = {}
    for name, channel, number in counts:
        per_channel = events.setdefault(name, {})
        per_channel[channel] = per_channel.get(channel, 0) + number
    ranked = sorted(events.items(), key=lambda item: (-sum(item[1].values()), item[0] or ""))
    shown = [
        {"event_name": name, "total": sum(channels.values()), "channels": dict(sorted(
            channels.items()))}
        for name, channels in ranked[:limit]
    ]
    return {
        "events": shown,
        "total": sum(sum(channels.values()) for channels in events.values()),
        "other": sum(sum(channels.values()) for _, channels in ranked[limit:]),
    }


def postbacks_per_minute(
    store: Store, *, now: datetime, minutes: int = DEFAULT_MINUTES, channel: str | None = None
) -> dict[str, Any]:
    start = window_start(now, minutes)
    rows = store_stats.per_minute(store, since=iso_utc(start), channel=channel)
    return {"channel": channel, **minute_series(rows, start=start, minutes=minutes)}


def event_names(
    store: Store, *, channel: str | None = None, limit: int = MAX_EVENT_NAMES
) -> dict[str, Any]:
    rows = store_stats.event_names(store, channel=channel)
    return {"channel": channel, **event_breakdown(rows, limit=limit)}


# Log-scaled buckets: bucket i holds values below EDGES[i]; the last one everything above.
LATENCY_EDGES_MS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
CTIT_EDGES_S = (10, 60, 600, 3600, 6 * 3600, 24 * 3600, 7 * 24 * 3600)
CTIT_LABELS = ("<10 s", "10-60 s", "1-10 min", "10-60 min", "1-6 h", "6-24 h", "1-7 d", ">7 d")
INJECTION_BELOW_S = 10  # installs this soon after the click: the click was likely injected
SPAM_ABOVE_S = 24 * 3600  # this late: a spammed click that stole an organic install


def _ms_label(value: float) -> str:
    return f"{value / 1000:g} s" if value >= 1000 else f"{value:g} ms"


def latency_labels(edges: tuple[float, ...] = LATENCY_EDGES_MS) -> list[str]:
    """"<1 ms", "1-2 ms", ..., "2-5 s", ">5 s"."""
    labels = [f"<{_ms_label(edges[0])}"]
    for low, high in itertools.pairwise(edges):
        low_text, high_text = _ms_label(low), _ms_label(high)
        if low_text.split()[1] == high_text.split()[1]:
            low_text = low_text.split()[0]
        labels.append(f"{low_text}-{high_text}")
    return [*labels, f">{_ms_label(edges[-1])}"]


def _bounds(edges: tuple[float, ...], index: int) -> tuple[float | None, float | None]:
    return (edges[index - 1] if index else None, edges[index] if index < len(edges) else None)


def latency_histogram(
    counts: Iterable[tuple[int, bool, int]], *, edges: tuple[float, ...] = LATENCY_EDGES_MS
) -> dict[str, Any]:
    """Shape (bucket, answered 2xx, attempts) rows into every bucket, ok and failed apart."""
    ok = [0] * (len(edges) + 1)
    failed = [0] * (len(edges) + 1)
    for bucket, answered, number in counts:
        (ok if answered else failed)[bucket] += number
    buckets = [
        {"label": label, "low_ms": low, "high_ms": high, "ok": ok[i], "failed": failed[i],
         "count": ok[i] + failed[i]}
        for i, label in enumerate(latency_labels(edges))
        for low, high in [_bounds(edges, i)]
    ]
    return {"buckets": buckets, "total": sum(ok) + sum(failed), "ok": sum(ok),
            "failed": sum(failed)}


def ctit_histogram(counts: Iterable[tuple[int, int]]) -> dict[str, Any]:
    """Shape (bucket, installs) rows into every CTIT bucket, with the suspicious shares."""
    per_bucket = [0] * (len(CTIT_EDGES_S) + 1)
    for bucket, number in counts:
        per_bucket[bucket] += number
    buckets = [
        {"label": label, "low_s": low, "high_s": high, "count": per_bucket[i]}
        for i, label in enumerate(CTIT_LABELS)
        for low, high in [_bounds(CTIT_EDGES_S, i)]
    ]
    injection = CTIT_EDGES_S.index(INJECTION_BELOW_S) + 1
    spam = CTIT_EDGES_S.index(SPAM_ABOVE_S) + 1
    return {"buckets": buckets, "total": sum(per_bucket),
            "injection_suspects": sum(per_bucket[:injection]),
            "spam_suspects": sum(per_bucket[spam:])}


def delivery_latency(store: Store, *, run_id: int | None = None) -> dict[str, Any]:
    rows = store_stats.latency_histogram(store, edges=LATENCY_EDGES_MS, run_id=run_id)
    return {"run": run_id, **latency_histogram(rows)}


def click_to_install(store: Store, *, run_id: int | None = None) -> dict[str, Any]:
    rows = store_stats.ctit_histogram(store, edges=CTIT_EDGES_S, run_id=run_id)
    return {"run": run_id, **ctit_histogram(rows)}
