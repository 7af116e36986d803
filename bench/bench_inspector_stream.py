"""Do live inspector streams starve the receiver? The capture benchmark with and without 20
clients on /api/postbacks/stream, same server, same run, alternating; prints the ratio.

Starts `postback-sandbox serve` (granian, 2 workers) on a fresh database and runs wrk (as
bench/bench_capture.py does, with its Lua script) against /pb/bench/install: once with no
stream client, once with N clients holding the live stream open and reading every event
(reconnecting when a stream ends, as a browser's EventSource does). Each is the median of
--runs runs, interleaved so drift hits both alike. Target: with / without >= 0.8.

Rerun: python bench/bench_inspector_stream.py [--duration 10] [--runs 3] [--streams 20]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
from pathlib import Path

import httpx
from bench_capture import LUA, count, wrk

from sandbox.remote.process import start_server

TARGET = 0.8


class StreamClients:
    """N threads, each following the live stream like an open inspector page."""

    def __init__(self, url: str, clients: int) -> None:
        self.url, self.clients = url, clients
        self.stop = threading.Event()
        self.events = 0
        self.rows = 0
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._follow, daemon=True)
                         for _ in range(clients)]
        self._open = threading.Semaphore(0)

    def __enter__(self) -> StreamClients:
        for thread in self._threads:
            thread.start()
        for _ in self._threads:  # every client connected before the load starts
            self._open.acquire(timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout=20)

    def _follow(self) -> None:
        last = ""
        announced = False
        with httpx.Client(timeout=httpx.Timeout(30, read=70)) as client:
            while not self.stop.is_set():
                headers = {"Last-Event-ID": last} if last else {}
                with client.stream("GET", f"{self.url}/api/postbacks/stream",
                                   headers=headers) as answer:
                    if not announced:
                        announced = True
                        self._open.release()
                    for line in answer.iter_lines():
                        if self.stop.is_set():
                            return
                        if line.startswith("id: "):
                            last = line[4:]
                        elif line.startswith("data: "):
                            with self._lock:
                                self.events += 1
                                self.rows += line.count('"id": ')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--streams", type=int, default=20)
    parser.add_argument("--method", choices=["GET", "POST"], default="GET")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="bench-stream-"))
    script = work / "postback.lua"
    script.write_text(LUA)
    server = start_server(work / "bench.db", args=["--workers", "2"])
    without: list[dict] = []
    with_streams: list[dict] = []
    events = rows = 0
    try:
        def load() -> dict:
            before = count(server.db)
            run = wrk(server.url, "/pb/bench/install", duration=args.duration,
                      connections=args.connections, method=args.method, script=script)
            run["recorded"] = count(server.db) - before
            return run

        for _ in range(args.runs):
            without.append(load())
            with StreamClients(server.url, args.streams) as clients:
                with_streams.append(load())
            events += clients.events
            rows += clients.rows
    finally:
        server.stop()
    base = statistics.median(r["rps"] for r in without)
    loaded = statistics.median(r["rps"] for r in with_streams)
    print(f"inspector stream benchmark: wrk -t2 -c{args.connections} -d{args.duration}s "
          f"{args.method} postbacks, median of {args.runs} interleaved runs, 2 granian workers")
    for label, runs in (("no stream clients", without),
                        (f"{args.streams} live stream clients", with_streams)):
        rps = statistics.median(r["rps"] for r in runs)
        p99 = statistics.median(r["p99"] for r in runs)
        lost = sum(r["ok"] for r in runs) - sum(r["recorded"] for r in runs)
        print(f"  {label:26} {rps:9,.0f} req/s  p99 {p99:6.2f} ms"
              f"  {'LOST CAPTURES' if lost > 0 else 'all acknowledged captures recorded'}")
    print(f"  stream clients received {events:,} events carrying {rows:,} rows")
    ratio = loaded / base
    print(f"  ratio with/without: {ratio:.2f} (target >= {TARGET}) "
          f"{'OK' if ratio >= TARGET else 'BELOW TARGET'}")
    print(f"rerun: python bench/bench_inspector_stream.py --duration {args.duration} "
          f"--runs {args.runs} --streams {args.streams}")


if __name__ == "__main__":
    main()
