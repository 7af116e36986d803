"""Chart data for the inspector: postbacks per minute per channel, and the event-name breakdown.

The store counts (sandbox/store/stats.py); these functions shape the counts into series with
every minute present, so a chart and a test read the same dict the API answers.
"""

from __future__ import annotations

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
