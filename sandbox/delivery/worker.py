"""One long-lived background worker per process: a daemon thread running one asyncio loop.

Real-time postbacks, background runs, re-sends, tee forwarding, replays and the remote
client all run their HTTP on it, so a process holds one loop and one pool of connections
(``sandbox/delivery/http.py``) instead of a thread and an event loop per request. Sync
callers block on ``run``; others ``submit`` and go on. A forked child starts its own worker
on first use (the parent's thread does not survive a fork).
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import os
import threading
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

from sandbox.delivery.http import Response, close_session, exchange, keep_sessions_on

T = TypeVar("T")


class Worker:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._blocking = concurrent.futures.ThreadPoolExecutor(4, "sandbox-worker-call")
        self._thread = threading.Thread(target=self._serve, name="sandbox-worker", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        keep_sessions_on(self.loop)
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def submit(self, work: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Start ``work`` on the worker's loop; its future carries the result or the error."""
        return asyncio.run_coroutine_threadsafe(work, self.loop)

    def run(self, work: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``work`` on the worker's loop and wait for its result (from any other thread).
        An interrupt while waiting (Ctrl-C) cancels the work, then goes on up."""
        if threading.current_thread() is self._thread:
            raise RuntimeError("Worker.run called from the worker's own thread")
        future = self.submit(work)
        try:
            return future.result(timeout)
        except BaseException:
            future.cancel()
            raise

    def call(self, function: Callable[..., T], *args: Any) -> concurrent.futures.Future[T]:
        """Run a blocking ``function`` (a run that waits for its expectations) beside the
        loop, on the worker's small thread pool; it may ``run`` coroutines on the loop."""
        return self._blocking.submit(function, *args)

    def stop(self, timeout: float = 5) -> None:
        if not self.loop.is_running():
            return
        with contextlib.suppress(concurrent.futures.TimeoutError, RuntimeError):
            self.submit(close_session()).result(timeout)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)
        self._blocking.shutdown(wait=False, cancel_futures=True)


_lock = threading.Lock()
_worker: Worker | None = None
_pid = 0


def worker() -> Worker:
    """This process's worker, started on first use."""
    global _worker, _pid
    with _lock:
        if _worker is None or _pid != os.getpid():
            _worker, _pid = Worker(), os.getpid()
        return _worker


def fetch(method: str, url: str, headers: Sequence[tuple[str, str]] = (),
          body: bytes | None = None, *, timeout: float, body_limit: int | None = None
          ) -> Response:
    """One request from synchronous code (forwarding, replay, the remote client), sent on the
    worker's loop; raises one of ``sandbox.delivery.http.NETWORK_ERRORS``."""
    return worker().run(exchange(method, url, headers, body, timeout=timeout,
                                 body_limit=body_limit))


def _stop_at_exit() -> None:
    if _worker is not None and _pid == os.getpid():
        _worker.stop()


atexit.register(_stop_at_exit)
os.register_at_fork(after_in_child=lambda: globals().__setitem__("_lock", threading.Lock()))
