"""Start a real sandbox server in a child process: for the test suite and the pytest plugin."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sandbox.remote.client import wait_until_up

__all__ = ["READY_PREFIX", "RunningServer", "start_server", "wait_until_up"]

READY_PREFIX = "postback-sandbox listening on "


@dataclass
class RunningServer:
    url: str
    process: subprocess.Popen[str]
    db: Path
    log: Path

    def stop(self, sig: int = signal.SIGINT, timeout: float = 15) -> int:
        """Stop the server as Ctrl-C would (it stops its workers); answer the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout)
        if self.process.stdout:
            self.process.stdout.close()
        return int(self.process.returncode)

    def kill(self) -> None:
        """SIGKILL the server and every worker at once, as a crash would."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.stop()


def start_server(
    db: Path, *, args: Sequence[str] = (), env: dict[str, str] | None = None,
    timeout: float = 30,
) -> RunningServer:
    """Run ``postback-sandbox serve --port 0`` and wait until it answers /api/health."""
    command = [sys.executable, "-m", "sandbox", "serve", "--port", "0", "--db", str(db), *args]
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
    child_env.update(env or {})
    log = Path(f"{db}.log")
    with log.open("w") as log_file:  # a file, so a busy server never blocks on a full pipe
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=log_file, text=True, env=child_env,
            start_new_session=True,
        )
    assert process.stdout is not None
    first = process.stdout.readline()
    while first and not first.startswith(READY_PREFIX):
        first = process.stdout.readline()
    if not first.startswith(READY_PREFIX):
        process.kill()
        process.wait(5)
        process.stdout.close()
        raise RuntimeError(f"sandbox did not start: {first.strip()} {log.read_text().strip()}")
    server = RunningServer(first[len(READY_PREFIX):].strip(), process, db, log)
    wait_until_up(server.url, timeout=timeout)
    return server
