"""Rendering, path by path: the NDJSON lines of ``run --dry-run`` (prebuilt string plans),
the same lines through ``RenderedPostback`` objects (what delivery renders), and with
``--baseline DIR`` the objects path of another source tree, alternated, to measure a change
to it (the figures beside the speed-ups in ``sandbox/scenarios/render*.py`` came from here).

Rerun: python bench/bench_render_paths.py [--installs 30000] [--runs 3] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, os, sys, time
sys.path.insert(0, os.environ["BENCH_TREE"])
sys.path.insert(0, os.environ["BENCH_DIR"])
from bench_generate import bench_scenario
from sandbox.scenarios.load import scenario_from_data
from sandbox.scenarios.render import render_run, write_ndjson, write_run_one_job
scenario = scenario_from_data(bench_scenario(int(sys.argv[1])))
path = sys.argv[2]
with open(os.devnull, "w") as out:
    started = time.perf_counter()
    if path == "plans":
        count = write_run_one_job(scenario, out, scenario.seed).postbacks
    elif path == "lines":
        count = write_ndjson(render_run(scenario), out)
    else:
        count = sum(1 for _ in render_run(scenario))
    print(json.dumps(count / (time.perf_counter() - started)))
"""


def measure(tree: Path, installs: int, path: str) -> float:
    env = {**os.environ, "BENCH_TREE": str(tree), "BENCH_DIR": str(ROOT / "bench")}
    out = subprocess.run([sys.executable, "-c", CHILD, str(installs), path], env=env,
                         capture_output=True, text=True, check=True).stdout
    return float(json.loads(out))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--installs", type=int, default=30_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", type=Path, metavar="DIR")
    args = parser.parse_args()
    cases = [("plans", ROOT), ("lines", ROOT), ("objects", ROOT)]
    if args.baseline:
        cases.append(("objects", args.baseline.resolve()))
    results: dict[tuple[str, Path], list[float]] = {case: [] for case in cases}
    for _ in range(args.runs):
        for path, tree in cases:
            results[(path, tree)].append(measure(tree, args.installs, path))
    print(f"rendering {args.installs:,} installs, median of {args.runs} alternated runs:")
    labels = {"plans": "NDJSON lines from string plans (run --dry-run)",
              "lines": "NDJSON lines through RenderedPostback.to_json",
              "objects": "RenderedPostback objects (delivery)"}
    for (path, tree), rates in results.items():
        where = "" if tree == ROOT else f"  [baseline {tree}]"
        print(f"  {labels[path]:48s} {statistics.median(rates):>10,.0f} postbacks/s{where}")
    baseline = f" --baseline {args.baseline}" if args.baseline else ""
    print(f"rerun: python bench/bench_render_paths.py --installs {args.installs} "
          f"--runs {args.runs}{baseline}")


if __name__ == "__main__":
    main()
