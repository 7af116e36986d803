"""Delivery throughput: a scenario delivered to a local nginx answering 204, attempt log on.

Starts nginx (Debian's package) in the foreground on a free 127.0.0.1 port with a generated
config in a temp dir, measures that receiver's own ceiling with wrk (64 connections), then
delivers a generated scenario to it at concurrency 64, writing every attempt to a fresh SQLite
database, and stops nginx. Each figure is the median of the runs. Target: >= 4,000 delivered
postbacks/s (the floor of issue 17; aiohttp, the one HTTP client, is measured here).

Rerun: python bench/bench_delivery.py [--installs 4000] [--runs 3] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox.clock import SystemClock  # noqa: E402
from sandbox.delivery.run import RunOptions, ScenarioRun  # noqa: E402
from sandbox.scenarios.load import scenario_from_data  # noqa: E402
from sandbox.store import Store  # noqa: E402
from tests.nginx import free_port  # noqa: E402
from tests.nginx import start_nginx as run_nginx  # noqa: E402

TARGET = 4000.0
NGINX_204 = "server {{ listen 127.0.0.1:{port}; location / {{ return 204; }} }}"


def bench_scenario(installs: int) -> dict:
    """One AppsFlyer-style network: install postbacks plus purchase and registration events."""
    return {
        "name": "bench-delivery", "seed": 3, "days": 7,
        "app": {"name": "Bench", "ios": {"app_id": 525463029},
                "android": {"package": "com.example.bench"}},
        "users": {"purchases": {"payer_share": 0.2}},
        "networks": [{
            "name": "afnet", "preset": "appsflyer", "endpoint": "http://127.0.0.1:8377/pb/af",
            "send_events": ["af_purchase", "af_complete_registration", "af_level_achieved"],
            "campaigns": [{"name": "c1", "clicks": installs * 25, "install_rate": 0.04}],
        }],
    }


def start_nginx(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    try:
        return run_nginx(folder, NGINX_204.format(port=port), port), f"http://127.0.0.1:{port}"
    except RuntimeError as exc:
        raise SystemExit(str(exc)) from None


def wrk_ceiling(url: str, *, duration: int, connections: int) -> float:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s",
         f"{url}/pb/af/install?click_id=abc&af_siteid=x"],
        capture_output=True, text=True, check=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if match is None:
        raise SystemExit(f"cannot read wrk's output:\n{output}")
    return float(match.group(1))


def deliver_once(url: str, installs: int, concurrency: int, folder: Path) -> dict:
    db = folder / f"bench-{time.monotonic_ns()}.db"
    store = Store(db)
    try:
        scenario = scenario_from_data(bench_scenario(installs))
        run = ScenarioRun(store, scenario, RunOptions(target_base=url, concurrency=concurrency),
                          clock=SystemClock())
        items = list(run.planned())  # rendered up front: the figure is delivery alone
        started, cpu = time.perf_counter(), time.process_time()
        outcome = run.deliver(items)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        store.close()
    with sqlite3.connect(db) as conn:
        logged = conn.execute("SELECT count(*) FROM attempts").fetchone()[0]
    stats = outcome.stats
    return {"delivered": stats.delivered, "failed": stats.failed, "attempts": stats.attempts,
            "logged": logged, "wall": wall, "rate": stats.delivered / wall,
            "p50": stats.to_dict()["latency_ms"]["p50"],
            "cpu_us": cpu / max(stats.delivered, 1) * 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--installs", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--wrk-seconds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-delivery-") as tmp:
        folder = Path(tmp)
        nginx, url = start_nginx(folder)
        try:
            ceilings = [wrk_ceiling(url, duration=args.wrk_seconds,
                                    connections=args.concurrency) for _ in range(args.runs)]
            runs = [deliver_once(url, args.installs, args.concurrency, folder)
                    for _ in range(args.runs)]
        finally:
            nginx.terminate()
            nginx.wait(10)
    for result in runs:
        if result["logged"] != result["attempts"] or result["failed"]:
            raise SystemExit(f"attempt log incomplete or failures: {result}")
    ceiling = statistics.median(ceilings)
    rate = statistics.median(r["rate"] for r in runs)
    each = ", ".join(f"{r['rate']:,.0f}" for r in runs)
    load = os.getloadavg()[0]
    print(f"machine: python {sys.version.split()[0]}, {os.cpu_count()} cpu(s), load {load:.1f}")
    print(f"nginx 204 ceiling (wrk, {args.concurrency} connections): median {ceiling:,.0f} req/s"
          f" of {len(ceilings)}")
    print(f"delivery at concurrency {args.concurrency}, attempt log on: "
          f"{runs[0]['delivered']:,} postbacks per run, median {rate:,.0f} delivered/s of "
          f"{len(runs)} (runs: {each}), "
          f"latency p50 {statistics.median(r['p50'] or 0 for r in runs):.1f} ms")
    cpu_us = statistics.median(r["cpu_us"] for r in runs)
    print(f"CPU per delivered postback (sender + log, one process): median {cpu_us:.0f} us, "
          f"so one free core would deliver ~{1e6 / cpu_us:,.0f}/s")
    verdict = "meets" if rate >= TARGET else "MISSES"
    print(f"ratio to ceiling: {rate / ceiling:.0%}; {verdict} the {TARGET:,.0f}/s target")
    print(f"rerun: {sys.executable} bench/bench_delivery.py --installs {args.installs} "
          f"--runs {args.runs} --concurrency {args.concurrency}")


if __name__ == "__main__":
    main()
