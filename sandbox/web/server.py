"""Running the sandbox on granian, a production server: checks first, then serve until stopped.

Why granian: its Rust HTTP layer answers the lean capture path several times faster than
Python servers (see bench/). It runs the sandbox as an ASGI app: captures are taken in and
group-committed on each worker's event loop, with no thread hand-offs, and the Flask routes
run on a pool of threads, so long-lived requests (assertion long-polls, live inspector
streams) never starve captures.
"""

from __future__ import annotations

import ctypes
import dataclasses
import errno
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.clock import SystemClock
from sandbox.errors import ConfigError
from sandbox.settings import Settings
from sandbox.store import Store
from sandbox.store.retention import RetentionPolicy, prune
from sandbox.web.config_file import apply_config_file
from sandbox.web.tls import Certificate, ensure_certificate

SERVER_PID_VARIABLE = "SANDBOX_SERVER_PID"  # set for the workers: the process they die with
PR_SET_PDEATHSIG = 1  # linux/prctl.h
ORPHAN_CHECK_SECONDS = 0.5
WORKER_STOP_SECONDS = 1

# granian's own HTTP/1 read buffer bounds the request head before the sandbox sees it; keep it
# well above the sandbox's limits so oversized heads reach the receiver and are recorded (431).
# A head past it gets granian's bare 431, unrecorded. granian 2.8.9 configures nothing else of
# its parser (hyper): the header-line and URI limits are fixed (settings.SERVER_MAX_*), and a
# head slower than header_read_timeout is dropped without an answer (tests/test_framing.py).
MIN_HTTP1_BUFFER = 417_792


@dataclass(frozen=True)
class Bound:
    host: str
    port: int
    certificate: Certificate | None = None  # serving HTTPS with this certificate

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "https" if self.certificate is not None else "http"
        return f"{scheme}://{host}:{self.port}"


def reserve_port(host: str, port: int) -> Bound:
    """Check that the address is free (port 0: pick a free one) before starting workers."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As servers bind: a port whose old connections linger in TIME_WAIT (after a kill or
        # a stop with keep-alive clients) is free; one with a listener on it is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(f"port {port} on {host} is already in use; "
                                  "choose another with --port (0 picks a free one)") from None
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        return Bound(host, probe.getsockname()[1])


def prepare(settings: Settings) -> Store:
    """Everything that can fail with a clear message, done before the server starts."""
    store = Store(settings.db)
    store.check_writable()
    store.reserve.keep()  # room to delete in when the disk fills (sandbox/store/space.py)
    apply_config_file(store, settings.config)
    policy = RetentionPolicy(
        max_postbacks=settings.max_postbacks, max_age_seconds=settings.max_age_seconds
    )
    prune(store, policy, SystemClock())
    return store


def http1_buffer_size(settings: Settings) -> int:
    return max(MIN_HTTP1_BUFFER, 2 * (settings.max_header_bytes + settings.max_url) + 16_384)


def serve(settings: Settings, announce: Callable[[Bound], None]) -> None:
    """Serve until interrupted. ``announce`` is called once the workers are starting."""
    from granian.constants import Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels
    from granian.server import Server

    store = prepare(settings)
    store.close()
    bound = reserve_port(settings.host, settings.port)
    tls: dict[str, Any] = {}
    if settings.tls:
        certificate = ensure_certificate(settings.db, settings.host)
        bound = dataclasses.replace(bound, certificate=certificate)
        tls = {"ssl_cert": certificate.cert, "ssl_key": certificate.key}
    os.environ.update(Settings(**{**settings.__dict__, "port": bound.port}).to_env())
    os.environ[SERVER_PID_VARIABLE] = str(os.getpid())
    server = Server(
        "sandbox.web.entry:from_environment",
        address=bound.host,
        port=bound.port,
        interface=Interfaces.ASGI,
        workers=settings.workers,
        factory=True,
        # Slow clients: a request head must arrive within header_timeout (then granian closes
        # the connection unanswered); a body within body_timeout (the sandbox answers 408).
        http1_settings=HTTP1Settings(
            header_read_timeout=int(settings.header_timeout * 1000),
            max_buffer_size=http1_buffer_size(settings),
        ),
        # granian logs to stdout by default; stdout's first line is ours (the bound URL).
        log_level=LogLevels.error,
        log_dictconfig={"handlers": {
            name: {"formatter": fmt, "class": "logging.StreamHandler", "stream": "ext://sys.stderr"}
            for name, fmt in (("console", "generic"), ("access", "access"))
        }},
        respawn_failed_workers=True,
        # A worker still running a second after SIGTERM is killed: what it acknowledged is
        # committed already, and a worker that was still starting when the stop came may
        # never have seen the signal (it would otherwise hold the stop forever).
        workers_kill_timeout=WORKER_STOP_SECONDS,
        **tls,
    )
    server.on_startup(lambda: announce(bound))
    server.serve()


def die_with_server() -> None:
    """Called in each worker: end it when the server process ends, even by SIGKILL.

    Linux kills the worker the moment its parent dies (PR_SET_PDEATHSIG); elsewhere a daemon
    thread notices the new parent. SIGKILL, not SIGTERM: a worker still starting up would
    swallow SIGTERM in the handler it inherited from the server process, and what a worker
    has acknowledged is committed already.
    """
    server_pid = int(os.environ.get(SERVER_PID_VARIABLE, "0"))
    if not server_pid:
        return  # not started by ``serve``
    if not _parent_death_signal(signal.SIGKILL):
        threading.Thread(target=_watch_parent, args=(server_pid,), daemon=True,
                         name="sandbox-orphan-watch").start()
    if os.getppid() != server_pid:  # the server died before the signal was asked for
        os.kill(os.getpid(), signal.SIGKILL)


def _parent_death_signal(signum: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0)


def _watch_parent(server_pid: int) -> None:
    while os.getppid() == server_pid:
        time.sleep(ORPHAN_CHECK_SECONDS)
    os.kill(os.getpid(), signal.SIGKILL)
