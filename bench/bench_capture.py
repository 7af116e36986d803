"""Capture throughput: wrk against a real server, GET and POST postbacks, plus the ceiling.

Starts `postback-sandbox serve` (granian, default workers) on a fresh database, then runs wrk
(Debian's package) with 50 connections: the no-op /api/ping route first (the same server's
ceiling), then GET and POST postbacks. Each is the median of 3 runs, with the server's CPU time
per request (all its processes and threads). After each postback run it compares what wrk saw
acknowledged (2xx) with what the database holds, and measures the queryable rate: captures
divided by the time from the first request until the last one is visible, derived, to
``/api/postbacks?click_id=...``, with the deriver's lag (captures still raw) when wrk stopped.

With ``--postgres`` (a temporary server of Debian's package) or ``--db postgresql://...`` (a
server of yours), a second server of this tree stores on PostgreSQL, and with ``--nodes N``
N more servers on it stand behind nginx (deploy/nginx-team-sandbox.conf), as a team sandbox
does; "server CPU" then adds up the nodes (not nginx, not PostgreSQL). With ``--baseline
DIR`` (another source tree, such as a git worktree of an older commit), a server of that tree
runs beside each single server of this one, on the same kind of database. Runs alternate
between all of them: on a shared machine whose speed drifts, the paired ratios say more than
either figure alone.

Rerun: python bench/bench_capture.py [--duration 10] [--runs 3] [--connections 50]
       [--postgres | --db postgresql://...] [--nodes 3] [--baseline DIR]
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
from dataclasses import dataclass
from pathlib import Path

THIS_TREE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(THIS_TREE))  # tests/postgres.py: the temporary PostgreSQL server

from sandbox.remote.process import RunningServer, start_server  # noqa: E402
from tests.nginx import free_port, start_nginx, team_config  # noqa: E402
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


def target_cpu_seconds(target: Target) -> float:
    """The CPU time of every sandbox server behind ``target`` (not nginx's, not
    PostgreSQL's: both share the machine's cores and are left out of "server CPU")."""
    return sum(server_cpu_seconds(server.process.pid) for server in target.servers)


def _scalar(db: str, sql: str) -> int:
    if db.startswith(("postgresql://", "postgres://")):
        import psycopg
        with psycopg.connect(db) as conn:
            return int(conn.execute(sql).fetchone()[0])  # type: ignore[index]
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql).fetchone()[0])


def count(db: str) -> int:
    return _scalar(db, "SELECT count(*) FROM captures")


def raw_left(db: str) -> int:
    """Captures not derived yet (0 for a tree from before derivation moved off the request
    path, which derived every capture before answering)."""
    try:
        return _scalar(db, "SELECT count(*) FROM captures WHERE derived = 0")
    except Exception:  # noqa: BLE001 - no derived column: an older tree
        return 0


def visible(target: Target, marker: str) -> None:
    """Send one more postback, then read it back through the API: the read answers once every
    capture before it is derived (or, on an older tree, at once: it derived inline)."""
    base = target.url
    urllib.request.urlopen(f"{base}/pb/bench/install?click_id={marker}").read()
    with urllib.request.urlopen(f"{base}/api/postbacks?click_id={marker}") as answer:
        found = json.loads(answer.read())
    assert found["postbacks"], f"marker {marker} not visible"


LOADS = (
    ("no-op /api/ping (ceiling)", "/api/ping", "GET"),
    ("GET postback", "/", "GET"),
    ("POST postback (JSON)", "/", "POST"),
)


def measure(target: Target, path: str, method: str, args: argparse.Namespace,
            script: Path) -> dict:
    """One wrk run against ``target``: its figures, CPU per request, captures recorded."""
    before = count(target.db)
    cpu_before = target_cpu_seconds(target)
    # The Lua request() builds the postback path; /api/ping keeps its own path.
    load = path if path != "/" else "/pb/bench/install"
    started = time.monotonic()
    run = wrk(target.url, load, duration=args.duration, connections=args.connections,
              method=method, script=script)
    if path == "/":
        # Queryable: from the first request until the last is visible, derived, to the API.
        run["lag"] = raw_left(target.db)
        visible(target, f"marker-{uuid.uuid4().hex}")
        run["queryable"] = run["ok"] / (time.monotonic() - started)
    cpu = target_cpu_seconds(target) - cpu_before
    run["cpu_us"] = cpu / max(run["ok"] + run["bad"], 1) * 1e6
    if path == "/":
        run["recorded"] = count(target.db) - before - 1
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
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--postgres", action="store_true",
                       help="also run on PostgreSQL: a temporary server from Debian's "
                            "postgresql package, a new database per sandbox server")
    where.add_argument("--db", metavar="postgresql://...",
                       help="also run on this PostgreSQL database (every PostgreSQL server "
                            "of the run shares it, as the nodes of a team sandbox do)")
    parser.add_argument("--nodes", type=int, default=1,
                        help="with a PostgreSQL database: also N nodes on it behind nginx "
                             "(deploy/nginx-team-sandbox.conf), --node-workers each")
    parser.add_argument("--node-workers", type=int, default=1)
    parser.add_argument("--baseline", type=Path, metavar="DIR",
                        help="another source tree (e.g. a git worktree of an older commit): "
                             "its server runs beside each single server of this tree, on the "
                             "same database kind; runs alternate between them")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    if args.db and not args.db.startswith(("postgresql://", "postgres://")):
        sys.exit(f"--db {args.db}: expected a postgresql:// URL (SQLite always runs)")
    if args.nodes > 1 and not (args.postgres or args.db):
        sys.exit("--nodes needs a PostgreSQL database: --postgres or --db")
    if args.baseline and not (args.baseline / "sandbox" / "__init__.py").is_file():
        sys.exit(f"--baseline {args.baseline}: expected a source tree with sandbox/ in it")
    work = Path(tempfile.mkdtemp(prefix="bench-capture-"))
    # Out of any source tree: `python -m sandbox` puts the working folder first on the path,
    # which would shadow --baseline's PYTHONPATH.
    os.chdir(work)
    script = work / "postback.lua"
    script.write_text(LUA)
    with contextlib.ExitStack() as stack:
        postgres = stack.enter_context(running_postgres()) if args.postgres else None
        databases = Databases(work, postgres, args.db)
        targets = stack.enter_context(contextlib.closing(Targets()))
        start_targets(targets, args, databases)
        results = run_all(args, targets, script)
    print(f"capture benchmark: wrk -t2 -c{args.connections} -d{args.duration}s, "
          f"median of {args.runs}, {args.workers} granian workers per single server"
          + (f", {args.node_workers} per node" if args.nodes > 1 else ""))
    for name, figures in results.items():
        report(name, figures)
    for name in results:
        if name.startswith("baseline "):
            mine = name.removeprefix("baseline ")
            compare(results[mine], results[name], f"{mine}: this tree against the baseline")
    for name in results:
        if name != SQLITE and not name.startswith("baseline "):
            compare(results[name], results[SQLITE], f"{name} against {SQLITE}")
    again = f" --baseline {args.baseline}" if args.baseline else ""
    again += " --postgres" if args.postgres else ""
    again += " --db postgresql://..." if args.db else ""
    again += f" --nodes {args.nodes} --node-workers {args.node_workers}" if args.nodes > 1 else ""
    print("rerun: python bench/bench_capture.py "
          f"--duration {args.duration} --runs {args.runs} --connections {args.connections}"
          f"{again}")


SQLITE = "one server on SQLite"
POSTGRES = "one server on PostgreSQL"


@dataclass
class Target:
    """What wrk runs against: one server, or nodes behind nginx; the database it fills."""

    url: str
    db: str  # a SQLite file, or a PostgreSQL URL
    servers: list[RunningServer]
    nginx: subprocess.Popen[bytes] | None = None

    def stop(self) -> None:
        if self.nginx is not None:
            self.nginx.kill()
            self.nginx.wait(10)
        for server in self.servers:
            server.stop()


class Targets(dict[str, Target]):
    def close(self) -> None:
        for target in self.values():
            target.stop()


class Databases:
    """Where each server stores: a new SQLite file; on PostgreSQL a new database of the
    temporary server, or the one database given with --db."""

    def __init__(self, work: Path, postgres: PostgresServer | None, url: str | None) -> None:
        self.work, self._postgres, self._url = work, postgres, url
        self.on_postgres = postgres is not None or url is not None

    def sqlite(self, name: str) -> str:
        return str(self.work / f"{name}.db")

    def postgresql(self, name: str) -> str:
        if self._postgres is not None:
            return self._postgres.create_database(name)
        assert self._url is not None
        return self._url


def start_targets(targets: Targets, args: argparse.Namespace, databases: Databases) -> None:
    baseline = args.baseline.resolve() if args.baseline else None
    kinds = [(SQLITE, databases.sqlite)]
    if databases.on_postgres:
        kinds.append((POSTGRES, databases.postgresql))
    for label, database in kinds:
        targets[label] = single(databases.work, label, THIS_TREE, database(_name(label)),
                                args.workers)
        if baseline is not None:
            name = f"baseline {label}"
            targets[name] = single(databases.work, name, baseline, database(_name(name)),
                                   args.workers)
    if args.nodes > 1:
        label = f"{args.nodes} nodes on PostgreSQL behind nginx"
        targets[label] = behind_nginx(databases.work, args.nodes, args.node_workers,
                                      databases.postgresql(_name(label)))


def _name(label: str) -> str:
    return re.sub(r"\W+", "_", label).strip("_").lower()


def single(work: Path, label: str, tree: Path, db: str, workers: int) -> Target:
    """One server of ``tree`` storing in ``db``."""
    log = work / f"{_name(label)}.db"  # names the log; the last --db wins
    server = start_server(log, args=["--workers", str(workers), "--db", db],
                          env={"PYTHONPATH": str(tree)})
    return Target(server.url, db, [server])


def behind_nginx(work: Path, nodes: int, workers: int, db: str) -> Target:
    """``nodes`` servers of this tree on ``db``, behind the shipped nginx configuration."""
    folder = work / "nginx"
    folder.mkdir()
    target = Target("", db, [])
    try:
        for number in range(nodes):
            target.servers.append(start_server(
                work / f"node{number}.db", args=["--workers", str(workers), "--db", db],
                env={"PYTHONPATH": str(THIS_TREE)}))
        port = free_port()
        (folder / "team.conf").write_text(team_config([s.url for s in target.servers], port))
        target.nginx = start_nginx(folder, f"include {folder}/team.conf;", port)
    except BaseException:
        target.stop()
        raise
    target.url = f"http://127.0.0.1:{port}"
    return target


def run_all(args: argparse.Namespace, targets: Targets, script: Path
            ) -> dict[str, dict[str, list[dict]]]:
    results: dict[str, dict[str, list[dict]]] = {name: {} for name in targets}
    for label, path, method in LOADS:
        for number in range(args.runs):
            order = list(targets) if number % 2 == 0 else list(reversed(targets))
            for name in order:
                run = measure(targets[name], path, method, args, script)
                results[name].setdefault(label, []).append(run)
    return results


if __name__ == "__main__":
    main()
