"""SVG geometry for the inspector's charts, from the dicts the /api/stats endpoints answer. Pure.

The templates draw these shapes as SVG elements (no script, no inline style): colours come from
CSS classes ``series-N``, so dark and light themes both apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SERIES_COLOURS = 8
WIDTH = 760
HEIGHT = 220
LEFT = 44
BOTTOM = 26
TOP = 10
ROW = 24
LABEL_WIDTH = 190
BAR_WIDTH = 460
HISTOGRAM_BOTTOM = 40  # room for two rows of bucket labels
STAGGER_ABOVE = 8  # more buckets than this: their labels alternate rows


def _nice_ceiling(peak: int) -> int:
    """The y-axis top: 1, 2, 5 times a power of ten, at least the peak."""
    if peak <= 0:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= peak:
                return step * factor
        step *= 10


def charted_channels(channels: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """One colour per channel, never shared: past ``SERIES_COLOURS`` channels, the busiest
    keep their own and the rest are drawn together as one "other" series."""
    if len(channels) <= SERIES_COLOURS:
        return channels
    ranked = sorted(channels, key=lambda c: -c["total"])
    kept, rest = ranked[:SERIES_COLOURS - 1], ranked[SERIES_COLOURS - 1:]
    other = {
        "channel": f"{len(rest)} other channels",
        "total": sum(c["total"] for c in rest),
        "counts": [sum(column) for column in zip(*(c["counts"] for c in rest), strict=True)],
    }
    return [*kept, other]


def minute_bars(series: Mapping[str, Any]) -> dict[str, Any]:
    """Stacked bars, one per minute, one colour per channel; ticks every 10 minutes."""
    series = {**series, "channels": charted_channels(series["channels"])}
    minutes = series["minutes"]
    top = _nice_ceiling(max(_stacked(series), default=0))
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - 8) / max(len(minutes), 1)
    rects = []
    for index, label in enumerate(minutes):
        base = 0
        for colour, channel in enumerate(series["channels"]):
            count = channel["counts"][index]
            if not count:
                continue
            height = plot_h * count / top
            y = TOP + plot_h * (1 - (base + count) / top)
            rects.append({
                "x": round(LEFT + index * slot + 1, 1), "y": round(y, 1),
                "w": round(max(slot - 2, 1), 1), "h": round(height, 1),
                "css": f"series-{colour}",
                "title": f"{label[11:]} {channel['channel']}: {count}",
            })
            base += count
    ticks = [
        {"x": round(LEFT + index * slot, 1), "label": label[11:]}
        for index, label in enumerate(minutes) if index % 10 == 0
    ]
    return {
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "top": TOP,
        "bottom": HEIGHT - BOTTOM, "right": WIDTH - 8, "rects": rects, "ticks": ticks,
        "y_max": top,
        "legend": [
            {"channel": c["channel"], "total": c["total"], "css": f"series-{i}"}
            for i, c in enumerate(series["channels"])
        ],
    }


def _stacked(series: Mapping[str, Any]) -> list[int]:
    channels = series["channels"]
    return [sum(c["counts"][i] for c in channels) for i in range(len(series["minutes"]))]


def event_bars(breakdown: Mapping[str, Any]) -> dict[str, Any]:
    """Horizontal bars, one per event name, longest first."""
    events = breakdown["events"]
    peak = max((e["total"] for e in events), default=0) or 1
    bars = []
    for index, event in enumerate(events):
        name = event["event_name"]
        bars.append({
            "y": index * ROW, "label": "(none)" if name is None else name,
            "w": round(max(BAR_WIDTH * event["total"] / peak, 1), 1), "total": event["total"],
            "css": f"series-{index % SERIES_COLOURS}",
            "title": ", ".join(f"{c}: {n}" for c, n in event["channels"].items()),
        })
    return {
        "width": LABEL_WIDTH + BAR_WIDTH + 70, "height": max(len(bars), 1) * ROW,
        "label_width": LABEL_WIDTH, "bars": bars,
    }


def histogram_bars(
    buckets: list[Mapping[str, Any]], series: list[tuple[str, str, int]], *, unit: str
) -> dict[str, Any]:
    """Stacked vertical bars, one per bucket, one part per (key, name, colour) of ``series``;
    every bucket labelled below its bar. ``unit`` names what is counted, for the tooltips."""
    top = _nice_ceiling(max((sum(b[s[0]] for s in series) for b in buckets), default=0))
    plot_h = HEIGHT - TOP - HISTOGRAM_BOTTOM
    staggered = len(buckets) > STAGGER_ABOVE  # labels alternate between two rows
    slot = (WIDTH - LEFT - 8) / max(len(buckets), 1)
    rects, labels = [], []
    for index, bucket in enumerate(buckets):
        x = LEFT + index * slot
        base = 0
        for key, name, colour in series:
            count = bucket[key]
            if count:
                y = TOP + plot_h * (1 - (base + count) / top)
                rects.append({
                    "x": round(x + 3, 1), "y": round(y, 1), "w": round(max(slot - 6, 1), 1),
                    "h": round(plot_h * count / top, 1),
                    "css": f"series-{colour}",
                    "title": f"{bucket['label']}: {count} {name}{unit}",
                })
                base += count
        labels.append({"x": round(x + slot / 2, 1), "label": bucket["label"],
                       "dy": 16 + (14 if staggered and index % 2 else 0),
                       "total": bucket["count"]})
    return {
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "top": TOP,
        "bottom": HEIGHT - HISTOGRAM_BOTTOM, "right": WIDTH - 8, "rects": rects,
        "labels": labels,
        "y_max": top,
        "legend": [{"name": name, "css": f"series-{colour}"} for _, name, colour in series],
    }


def latency_chart(latency: Mapping[str, Any]) -> dict[str, Any]:
    return histogram_bars(latency["buckets"],
                          [("ok", "answered 2xx", 2), ("failed", "failed", 4)], unit=" attempts")


def ctit_chart(ctit: Mapping[str, Any]) -> dict[str, Any]:
    return histogram_bars(ctit["buckets"], [("count", "installs", 0)], unit="")
