"""Capture throughput: wrk against a real server, GET and POST postbacks, plus the ceiling.

Starts `postback-sandbox serve` (granian, default workers) on a fresh database, then runs wrk
(Debian's package) with 50 connections: the no-op /api/ping route first (the same server's
ceiling), then GET and POST postbacks. Each is the median of 3 runs, with the server's CPU time
per request (all its processes and threads). After each postback run it compares what wrk saw
acknowledged (2xx) with what the database holds, and measures the queryable rate: captures
divided by the time from the first request until the last one is visible, derived, to
``/api/postbacks?click_id=...``, with the deriver's lag (captures still raw) when wrk stopped.

With ``--baseline DIR`` (another source tree, such as a git worktree of an older commit), a
second server runs from that tree beside this one and the runs alternate between them: on a
shared machine whose speed drifts, the paired ratios say more than either figure alone.

Rerun: python bench/bench_capture.py [--duration 10] [--runs 3] [--connections 50]
       [--baseline DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

THIS_TREE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(THIS_TREE))  # tests/postgres.py: the temporary PostgreSQL server

from sandbox.remote.process import RunningServer, start_server  # noqa: E402
from tests.postgres import PostgresServer, running_postgres  # noqa: E402

LUA = r"""
local body = os.getenv("WRK_BODY")
local method = os.getenv("WRK_METHOD") or "GET"
local fixed = os.getenv("WRK_FIXED") == "1"
local n = 0
local threads = 0
function setup(thread)  -- a click id prefix per wrk thread: every click id is unique
  threads = threads + 1
  thread:set("tid", threads)
end
function request()
  if fixed then return wrk.request() end
  n = n + 1
  local path = "/pb/bench/install?click_id=c" .. tid .. "-" .. n ..
    "&event=install&idfa=8C6CBC0D-5F43-4765-A6E6-84DFF3D24707"
  if method == "POST" then
    return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
  end
  return wrk.format("GET", path)
end
-- Acknowledged = answers wrk counted minus non-2xx/3xx ones (the sandbox never redirects).
-- A Lua response() callback would count them too, at a cost to wrk that the server shares.
function done(summary, latency, requests)
  local bad = summary.errors.status
  io.write(string.format("JSON{\"ok\":%d,\"bad\":%d,\"p50\":%f,\"p99\":%f,\"rps\":%f}\n",
    summary.requests - bad, bad, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6)))
end
"""
POST_BODY = json.dumps({
    "event_name": "af_purchase", "revenue": "4.99", "currency": "USD",
    "appsflyer_id": "1415211453000-6513894", "eventValue": {"af_revenue": "4.99"},
})


def wrk(url: str, path: str, *, duration: int, connections: int, method: str, script: Path
        ) -> dict:
    env = {"WRK_METHOD": method, "WRK_BODY": POST_BODY, "PATH": "/usr/bin:/bin",
           "WRK_FIXED": "1" if path == "/api/ping" else "0"}
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s",
               str(script), url + path]
    out = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
    match = re.search(r"JSON(\{.*\})", out)
    assert match, out
    return json.loads(match.group(1))


def server_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of the server process and its workers, every thread included.

    Requests/s alone does not say whether a change saved work or the host got faster; CPU
    per request says what the server spent (Linux /proc, like wrk from Debian)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        process_group = int(fields[2])
        if process_group == pid:  # start_server gives the server a session of its own
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


DATABASES: dict[str, str] = {}  # a server's log-naming path -> its PostgreSQL URL


def _scalar(db: Path, sql: str) -> int:
    url = DATABASES.get(str(db))
    if url is not None:
        import psycopg
        with psycopg.connect(url) as conn:
            return int(conn.execute(sql).fetchone()[0])  # type: ignore[index]
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql).fetchone()[0])


def count(db: Path) -> int:
    return _scalar(db, "SELECT count(*) FROM captures")


def raw_left(db: Path) -> int:
    """Captures not derived yet (0 for a tree from before derivation moved off the request
    path, which derived every capture before answering)."""
    try:
        return _scalar(db, "SELECT count(*) FROM captures WHERE derived = 0")
    except Exception:  # noqa: BLE001 - no derived column: an older tree
        return 0


def visible(server: RunningServer, marker: str) -> None:
    """Send one more postback, then read it back through the API: the read answers once every
    capture before it is derived (or, on an older tree, at once: it derived inline)."""
    base = server.url
    urllib.request.urlopen(f"{base}/pb/bench/install?click_id={marker}").read()
    with urllib.request.urlopen(f"{base}/api/postbacks?click_id={marker}") as answer:
        found = json.loads(answer.read())
    assert found["postbacks"], f"marker {marker} not visible"


LOADS = (
    ("no-op /api/ping (ceiling)", "/api/ping", "GET"),
    ("GET postback", "/", "GET"),
    ("POST postback (JSON)", "/", "POST"),
)


def measure(server: RunningServer, path: str, method: str, args: argparse.Namespace,
            script: Path) -> dict:
    """One wrk run against ``server``: its figures, CPU per request, captures recorded."""
    before = count(server.db)
    cpu_before = server_cpu_seconds(server.process.pid)
    # The Lua request() builds the postback path; /api/ping keeps its own path.
    target = path if path != "/" else "/pb/bench/install"
    started = time.monotonic()
    run = wrk(server.url, target, duration=args.duration, connections=args.connections,
              method=method, script=script)
    if path == "/":
        # Queryable: from the first request until the last is visible, derived, to the API.
        run["lag"] = raw_left(server.db)
        visible(server, f"marker-{uuid.uuid4().hex}")
        run["queryable"] = run["ok"] / (time.monotonic() - started)
    cpu = server_cpu_seconds(server.process.pid) - cpu_before
    run["cpu_us"] = cpu / max(run["ok"] + run["bad"], 1) * 1e6
    if path == "/":
        run["recorded"] = count(server.db) - before - 1
    return run


def report(name: str, results: dict[str, list[dict]]) -> None:
    print(f"{name}:")
    ceiling = statistics.median(r["rps"] for r in results[LOADS[0][0]])
    for label, runs in results.items():
        rps = statistics.median(r["rps"] for r in runs)
        p50 = statistics.median(r["p50"] for r in runs)
        p99 = statistics.median(r["p99"] for r in runs)
        cpu = statistics.median(r["cpu_us"] for r in runs)
        line = f"  {label:28} {rps:9,.0f} req/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms"
        line += f"  server CPU {cpu:4.0f} us/req  ({rps / ceiling:.2f} of ceiling)"
        if "queryable" in runs[0]:
            queryable = statistics.median(r["queryable"] for r in runs)
            lag = statistics.median(r["lag"] for r in runs)
            line += f"\n  {'':28} queryable {queryable:9,.0f}/s  deriver lag at the end {lag:,.0f}"
        if "recorded" in runs[0]:
            acked = sum(r["ok"] for r in runs)
            recorded = sum(r["recorded"] for r in runs)
            errors = sum(r["bad"] for r in runs)
            line += f"  acknowledged {acked:,} recorded {recorded:,} non-2xx {errors}"
            line += "  OK" if recorded >= acked else "  LOST CAPTURES"
        print(line)


def compare(results: dict[str, list[dict]], baseline: dict[str, list[dict]],
            title: str = "this tree against the baseline") -> None:
    """Medians of the paired ratios: each run against the baseline run next to it."""
    print(f"{title} (median of paired runs):")
    for label, runs in results.items():
        pairs = list(zip(runs, baseline[label], strict=True))
        rps = statistics.median(run["rps"] / base["rps"] for run, base in pairs)
        cpu = statistics.median(run["cpu_us"] / base["cpu_us"] for run, base in pairs)
        line = f"  {label:28} requests/s x{rps:.3f}  server CPU per request x{cpu:.3f}"
        if "queryable" in runs[0]:
            ready = statistics.median(run["queryable"] / base["queryable"] for run, base in pairs)
            line += f"  queryable x{ready:.3f}"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgres", action="store_true",
                        help="a second server of this tree stores on PostgreSQL (a temporary "
                             "server from Debian's postgresql package), beside the one on "
                             "SQLite; runs alternate between them")
    parser.add_argument("--baseline", type=Path, metavar="DIR",
                        help="another source tree (e.g. a git worktree of an older commit): "
                             "its server runs beside this one, runs alternate between them")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    if args.baseline and args.postgres:
        sys.exit("--baseline and --postgres each add a second server: choose one")
    if args.baseline and not (args.baseline / "sandbox" / "__init__.py").is_file():
        sys.exit(f"--baseline {args.baseline}: expected a source tree with sandbox/ in it")
    baseline = args.baseline.resolve() if args.baseline else None
    work = Path(tempfile.mkdtemp(prefix="bench-capture-"))
    # Out of any source tree: `python -m sandbox` puts the working folder first on the path,
    # which would shadow --baseline's PYTHONPATH.
    os.chdir(work)
    script = work / "postback.lua"
    script.write_text(LUA)
    with contextlib.ExitStack() as stack:
        postgres = stack.enter_context(running_postgres()) if args.postgres else None
        results = run_all(args, work, script, baseline, postgres)
    print(f"capture benchmark: wrk -t2 -c{args.connections} -d{args.duration}s, "
          f"median of {args.runs}, {args.workers} granian workers")
    for name, figures in results.items():
        report(name, figures)
    if args.baseline:
        compare(results["this tree"], results["baseline"])
    if args.postgres:
        compare(results["on PostgreSQL"], results["this tree"],
                "on PostgreSQL against on SQLite")
    again = f" --baseline {args.baseline}" if args.baseline else ""
    again += " --postgres" if args.postgres else ""
    print("rerun: python bench/bench_capture.py "
          f"--duration {args.duration} --runs {args.runs} --connections {args.connections}"
          f"{again}")


def start(work: Path, name: str, tree: Path, args: argparse.Namespace,
          postgres: PostgresServer | None) -> RunningServer:
    """A server of ``tree`` on its own database: a file in ``work``, or a PostgreSQL one."""
    db, options = work / f"{name}.db", ["--workers", str(args.workers)]
    if postgres is not None:
        DATABASES[str(db)] = postgres.create_database(name)
        options += ["--db", DATABASES[str(db)]]  # the last --db wins; db names the log
    return start_server(db, args=options, env={"PYTHONPATH": str(tree)})


def run_all(args: argparse.Namespace, work: Path, script: Path, baseline: Path | None,
            postgres: PostgresServer | None) -> dict[str, dict[str, list[dict]]]:
    servers = {"this tree": start(work, "bench", THIS_TREE, args, None)}
    try:
        if baseline:
            servers["baseline"] = start(work, "baseline", baseline, args, None)
        if postgres is not None:
            servers["on PostgreSQL"] = start(work, "bench_pg", THIS_TREE, args, postgres)
        results: dict[str, dict[str, list[dict]]] = {name: {} for name in servers}
        for label, path, method in LOADS:
            for number in range(args.runs):
                order = list(servers) if number % 2 == 0 else list(reversed(servers))
                for name in order:
                    run = measure(servers[name], path, method, args, script)
                    results[name].setdefault(label, []).append(run)
    finally:
        for server in servers.values():
            server.stop()
    return results


if __name__ == "__main__":
    main()
