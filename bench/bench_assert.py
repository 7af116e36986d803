"""Assertion latency over 1,000,000 stored postbacks in 10 channels.

Two assertions, each run through the same core as POST /api/assert (sandbox.query.assertions.check):
- indexed: channel + extracted event name + count (target p50 < 50 ms);
- JSON path: json.revenue >= 50 scoped to one channel of 100,000 rows (target p50 < 500 ms).
Baseline in the same run: a plain count(*) of the channel, the floor any assertion pays.

Rerun: python bench/bench_assert.py [--rows 1000000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from sandbox.capture.channels import Answer
from sandbox.capture.record import InboundRequest, build_record
from sandbox.clock import SystemClock
from sandbox.query.assertions import check
from sandbox.query.matchers import parse_assertion
from sandbox.store import Store
from sandbox.store.captures import CaptureFilter

EVENTS = ["install", "af_app_opened", "af_purchase", "af_level_achieved", "af_tutorial_completion"]


def populate(store: Store, rows: int, seed: int = 1) -> None:
    """Realistic captures, built by the capture core once per distinct shape and varied."""
    rng = random.Random(seed)
    batch = []
    answer = Answer(200, {}, None, 0)
    for n in range(rows):
        event = rng.choice(EVENTS)
        revenue = round(rng.lognormvariate(1.6, 1.1), 2)
        body = json.dumps({"event_name": event, "revenue": revenue, "currency": "USD"}).encode()
        request = InboundRequest(
            method="POST", path=f"/pb/net{n % 10}/event", query_string=f"click_id=c{n}",
            headers=[("Content-Type", "application/json")], body=body, remote_addr="127.0.0.1",
            received_at=f"2026-11-28T10:{(n // 60000) % 60:02d}:00.000000Z", body_size=len(body),
            channel=f"net{n % 10}",
        )
        batch.append((build_record(request, decoded_limit=1 << 20), answer))
        if len(batch) == 20_000:
            store.captures.insert_many(batch)
            batch = []
    if batch:
        store.captures.insert_many(batch)


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    store = Store(Path(tempfile.mkdtemp(prefix="bench-assert-")) / "assert.db")
    started = time.perf_counter()
    populate(store, args.rows)
    print(f"stored {args.rows:,} postbacks in 10 channels in {time.perf_counter() - started:.0f}s")
    clock = SystemClock()
    indexed = parse_assertion({"channel": "net3", "where": {"event_name": "af_purchase"},
                               "count": {"gte": 1}})
    json_path = parse_assertion({"channel": "net3", "where": {"json.revenue": {"gte": 50}},
                                 "count": {"gte": 1}})
    cases = {
        "baseline: count(*) of one channel": lambda: store.captures.count(
            CaptureFilter(channel="net3")),
        "indexed: channel + event_name + count": lambda: check(store, indexed, clock),
        "JSON path: json.revenue>=50 in 1 channel": lambda: check(store, json_path, clock),
    }
    results = {name: timed(fn, args.repeat) for name, fn in cases.items()}
    matched = check(store, json_path, clock).outcome.matched
    base = statistics.median(next(iter(results.values())))
    print(f"assertion latency, median of {args.repeat} (ms):")
    for name, times in results.items():
        p50 = statistics.median(times)
        print(f"  {name:44} p50 {p50:8.1f}  max {max(times):8.1f}  ({p50 / base:.1f}x baseline)")
    print(f"  (the JSON-path assertion matched {matched:,} of {args.rows // 10:,} rows)")
    print(f"rerun: python bench/bench_assert.py --rows {args.rows} --repeat {args.repeat}")


if __name__ == "__main__":
    main()
