"""Postback lint per capture: a typical install postback, and one with a warning in each value.

Rerun: python bench/bench_lint.py [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

from sandbox.capture.keys import extract_keys
from sandbox.capture.lint import lint_capture
from sandbox.capture.record import parse_query

QUERIES = {
    "clean install postback": "click_id=abc123&event=purchase&revenue=4.99&currency=EUR"
                              "&idfa=8C6CBC0D-5F43-4765-A6E6-84DFF3D24707&sub1=x&sub2=y&sub3=z",
    "every value warns": "click_id={click_id}&event=&revenue=4,99&currency=usdollar"
                         "&idfa=00000000-0000-0000-0000-000000000000&sub1=%2541",
}
CALLS = 20_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(f"lint_capture, {CALLS:,} calls per run, median of {args.runs}")
    for label, query_string in QUERIES.items():
        query = parse_query(query_string)
        keys = extract_keys(query, None, None)
        runs = []
        for _ in range(args.runs):
            start = time.perf_counter()
            for _ in range(CALLS):
                lint_capture(query, None, None, keys)
            runs.append((time.perf_counter() - start) / CALLS * 1e6)
        print(f"  {label:24} {statistics.median(runs):6.2f} us per capture")
    print(f"rerun: python bench/bench_lint.py --runs {args.runs}")


if __name__ == "__main__":
    main()
