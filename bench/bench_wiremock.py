"""Capture side by side with WireMock: the same wrk load against the sandbox and WireMock.

Starts `postback-sandbox serve` (its defaults) on a fresh database and WireMock 3 standalone
(the `wiremock` npm package bundles the jar; Java 17) with its request journal on and one stub
answering 200 to any request, then runs wrk (50 connections, unique click ids) GET and POST
postbacks against each, alternating which goes first. Prints each figure (median of the
runs): requests/s and the queryable rate (until the last request can be read back: for the
sandbox, derived and visible to its API), the sandbox-to-WireMock ratios, and checks that
both kept every request they acknowledged (the sandbox's captures table, WireMock's journal count).

The jar is installed with npm into ~/.cache/postback-sandbox/wiremock on first use.

Rerun: python bench/bench_wiremock.py [--duration 10] [--runs 3] [--connections 50]
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_capture import LUA, count, visible, wrk  # noqa: E402

from sandbox.remote.process import start_server  # noqa: E402

CACHE = Path.home() / ".cache" / "postback-sandbox" / "wiremock"
WIREMOCK = "wiremock@3"
LOADS = (("GET postback", "GET"), ("POST postback (JSON)", "POST"))
ANY = {"request": {"urlPattern": ".*", "method": "ANY"},
       "response": {"status": 200, "body": "{\"ok\": true}"}}


def wiremock_jar() -> Path:
    found = sorted(CACHE.glob("node_modules/wiremock/build/wiremock-standalone-*.jar"))
    if not found:
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix",
                        str(CACHE), WIREMOCK], check=True)
        found = sorted(CACHE.glob("node_modules/wiremock/build/wiremock-standalone-*.jar"))
    if not found:
        sys.exit(f"npm installed {WIREMOCK} but no wiremock-standalone jar is in {CACHE}")
    return found[-1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def admin(url: str, path: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url + path, data=data, method="POST" if data else "GET")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return dict(json.loads(answer.read()))


def start_wiremock(work: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        ["java", "-jar", str(wiremock_jar()), "--port", str(port), "--bind-address",
         "127.0.0.1", "--disable-banner", "--root-dir", str(work / "wiremock")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            admin(url, "/__admin/mappings", ANY)
            return process, url
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                sys.exit("WireMock did not start within 60 s")
            time.sleep(0.3)


def journal_count(url: str) -> int:
    return int(admin(url, "/__admin/requests/count", {"method": "ANY", "urlPattern": ".*"})
               ["count"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    for tool in ("wrk", "java", "npm"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed (wrk and Java 17 from Debian, npm from Node.js)")
    work = Path(tempfile.mkdtemp(prefix="bench-wiremock-"))
    script = work / "postback.lua"
    script.write_text(LUA)
    sandbox = start_server(work / "bench.db")
    wiremock, wiremock_url = start_wiremock(work)
    urls = {"sandbox": sandbox.url, "WireMock": wiremock_url}
    stored = {"sandbox": lambda: count(sandbox.db), "WireMock": lambda: journal_count(wiremock_url)}
    # Queryable: until the last request can be read back (the sandbox: derived, through its
    # API; WireMock: its in-memory journal answers a count at once).
    readable = {"sandbox": lambda: visible(sandbox, f"marker-{time.monotonic_ns()}"),
                "WireMock": lambda: journal_count(wiremock_url)}
    results: dict[str, dict[str, list[dict]]] = {name: {} for name in urls}
    try:
        for label, method in LOADS:
            for number in range(args.runs):
                order = list(urls) if number % 2 == 0 else list(reversed(urls))
                for name in order:
                    before = stored[name]()
                    started = time.monotonic()
                    run = wrk(urls[name], "/pb/bench/install", duration=args.duration,
                              connections=args.connections, method=method, script=script)
                    readable[name]()
                    run["queryable"] = run["ok"] / (time.monotonic() - started)
                    run["kept"] = stored[name]() - before
                    results[name].setdefault(label, []).append(run)
    finally:
        sandbox.stop()
        wiremock.kill()
        wiremock.wait()
    print(f"capture side by side: wrk -t2 -c{args.connections} -d{args.duration}s, median of "
          f"{args.runs}, alternated; sandbox as `serve` starts it, WireMock "
          f"{wiremock_jar().stem.removeprefix('wiremock-standalone-')} with its journal on")
    for label, _ in LOADS:
        rates = {name: statistics.median(r["rps"] for r in results[name][label])
                 for name in urls}
        ready = {name: statistics.median(r["queryable"] for r in results[name][label])
                 for name in urls}
        kept = {name: all(r["kept"] >= r["ok"] for r in results[name][label]) for name in urls}
        print(f"  {label:22} sandbox {rates['sandbox']:8,.0f}/s  WireMock "
              f"{rates['WireMock']:8,.0f}/s  ratio x{rates['sandbox'] / rates['WireMock']:.2f}"
              f"  every acknowledged request kept: sandbox {kept['sandbox']}, WireMock "
              f"{kept['WireMock']}")
        print(f"  {'  queryable':22} sandbox {ready['sandbox']:8,.0f}/s  WireMock "
              f"{ready['WireMock']:8,.0f}/s  ratio x{ready['sandbox'] / ready['WireMock']:.2f}")
    print(f"rerun: python bench/bench_wiremock.py --duration {args.duration} --runs {args.runs} "
          f"--connections {args.connections}")


if __name__ == "__main__":
    main()
