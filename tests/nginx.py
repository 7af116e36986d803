"""nginx (Debian's package) in the foreground, in a folder of its own, on loopback: for the
tests that put it in front of sandbox nodes and for the delivery bench's 204 target."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent.parent / "deploy" / "nginx-team-sandbox.conf"

MAIN_CONF = """
daemon off;
worker_processes 1;
error_log {dir}/error.log;
pid {dir}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  keepalive_requests 1000000;
  {http}
}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_nginx(folder: Path, http: str, port: int) -> subprocess.Popen[bytes]:
    """Run nginx with ``http`` inside its http block until it accepts on ``port``."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    conf = folder / "nginx.conf"
    conf.write_text(MAIN_CONF.format(dir=folder, http=http), encoding="utf-8")
    process = subprocess.Popen([binary, "-c", str(conf), "-p", str(folder)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"nginx did not start: {(folder / 'error.log').read_text()}")


def team_config(nodes: list[str], port: int) -> str:
    """The shipped sample, its node list and listening port replaced."""
    text = SAMPLE.read_text(encoding="utf-8")
    servers = "\n".join(f"    server {node.removeprefix('http://')} max_fails=1 fail_timeout=10s;"
                        for node in nodes)
    text, replaced = re.subn(r"(    server 127\.0\.0\.1:\d+ [^\n]*\n)+", servers + "\n", text)
    assert replaced == 1, "the sample's upstream block changed shape"
    return text.replace("listen 127.0.0.1:8080;", f"listen 127.0.0.1:{port};")
