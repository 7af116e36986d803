"""Benchmark: generate and render N installs with their events to NDJSON.

Each measurement runs in a child process so its peak RSS can be read on its own
(``os.wait4``). Prints rendered postbacks/s (median of the runs), installs/s, peak RSS and
the command to rerun. Targets: >= 50,000 postbacks/s, peak RSS < 300 MB at every size.

    python bench/bench_generate.py                      # 100k x3 and 1M x1, jobs 1 and 2
    python bench/bench_generate.py --sizes 100000 --runs 3 --out-dir /tmp/ndjson
    python bench/bench_generate.py --jobs 2             # only 2 render processes (same bytes)

Both figures are honest: ``--jobs 1`` is one process, ``--jobs 2`` (``run --dry-run --jobs
2``) renders the streams in two forked processes and merges them in the parent.

CPU figures add the render jobs' CPU time to the parent's; the machine's load average is
printed before and after, since other processes share the cores.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTALL_RATE = 0.02
SEND = ["af_purchase", "af_tutorial_completion", "af_complete_registration",
        "af_level_achieved", "af_content_view", "af_add_to_cart"]


def bench_scenario(installs: int) -> dict:
    """A realistic two-network scenario sized to about ``installs`` paid installs."""
    clicks = int(installs / INSTALL_RATE / 2)
    campaign = {"clicks": clicks, "install_rate": INSTALL_RATE, "cpi": {"min": 0.5, "max": 3}}
    return {
        "name": "bench", "seed": 1, "days": 30,
        "app": {"name": "Bench", "ios": {"app_id": 525463029},
                "android": {"package": "com.example.bench"}},
        "users": {"countries": {"US": 4, "DE": 2, "BR": 2, "IN": 2, "JP": 1}},
        "networks": [
            {"name": "afnet", "preset": "appsflyer", "endpoint": "http://127.0.0.1:8377/pb/af",
             "send_events": SEND, "campaigns": [{"name": "af_c", **campaign}]},
            {"name": "adjnet", "preset": "adjust", "endpoint": "http://127.0.0.1:8377/pb/adj",
             "send_events": SEND, "campaigns": [{"name": "adj_c", **campaign}]},
        ],
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def child(installs: int, out: str, jobs: int) -> None:
    sys.path.insert(0, str(ROOT))
    from sandbox.scenarios.load import scenario_from_data
    from sandbox.scenarios.render_jobs import write_run_ndjson

    scenario = scenario_from_data(bench_scenario(installs))
    wall, cpu = time.perf_counter(), time.process_time() + _children_cpu()
    with open(out, "w", encoding="utf-8") as handle:
        summary = write_run_ndjson(scenario, handle, jobs=jobs)
    wall, cpu = time.perf_counter() - wall, time.process_time() + _children_cpu() - cpu
    print(json.dumps({"postbacks": summary.postbacks, "installs": summary.installs,
                      "events": summary.events, "wall": wall, "cpu": cpu}))


def measure(installs: int, out: str, jobs: int) -> dict:
    command = [sys.executable, __file__, "--child", str(installs), "--child-out", out,
               "--jobs", str(jobs)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"child failed with status {status}")
    result = json.loads(output)
    result["peak_rss_mb"] = usage.ru_maxrss / 1024  # KiB on Linux; the largest process
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3, help="runs per size below 1M")
    parser.add_argument("--out-dir", default=None, help="keep the NDJSON here (default: "
                        "encode every line but write to /dev/null)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2],
                        help="render processes, one measurement each (default: 1 2)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.child_out, args.jobs[0])
        return
    loop = min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6
    print(f"machine: python {sys.version.split()[0]}, {os.cpu_count()} cpu(s), "
          f"load {_load()}; sum(range(1000)) = {loop:.1f} us "
          f"(a typical 2023 laptop: ~8 us)")
    for size in args.sizes:
        for jobs in args.jobs:
            report(size, jobs, args.runs, args.out_dir)
    print(f"load average after: {_load()}")
    print(f"rerun: {sys.executable} bench/bench_generate.py "
          f"--sizes {' '.join(map(str, args.sizes))} --runs {args.runs} "
          f"--jobs {' '.join(map(str, args.jobs))}")


def report(size: int, jobs: int, runs_below_1m: int, out_dir: str | None) -> None:
    runs = 1 if size >= 1_000_000 else runs_below_1m
    out = os.devnull if out_dir is None else str(Path(out_dir) / f"{size}-j{jobs}.ndjson")
    results = [measure(size, out, jobs) for _ in range(runs)]
    rate = statistics.median(r["postbacks"] / r["wall"] for r in results)
    cpu_us = statistics.median(r["cpu"] / r["postbacks"] * 1e6 for r in results)
    first = results[0]
    print(f"{size:>9,} target installs, jobs {jobs}: {first['installs']:,} installs, "
          f"{first['events']:,} events, {first['postbacks']:,} postbacks; "
          f"median of {runs}: {rate:,.0f} postbacks/s wall ({cpu_us:.1f} us CPU per postback, "
          f"all processes), "
          f"{first['installs'] / statistics.median(r['wall'] for r in results):,.0f} "
          f"installs/s; peak RSS {max(r['peak_rss_mb'] for r in results):.0f} MB")


def _load() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
