"""The process's one background worker: one thread and loop for every background send."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest

from sandbox.delivery.worker import worker


async def _thread_name() -> str:
    await asyncio.sleep(0)
    return threading.current_thread().name


def test_every_submit_runs_on_the_same_long_lived_thread() -> None:
    before = threading.active_count()
    names = {worker().submit(_thread_name()).result(5) for _ in range(50)}
    assert names == {"sandbox-worker"}
    assert worker() is worker()
    assert threading.active_count() <= before + 1  # at most the worker itself, once


def test_an_error_reaches_the_caller() -> None:
    async def fail() -> None:
        raise ValueError("bad target")

    with pytest.raises(ValueError, match="bad target"):
        worker().run(fail(), timeout=5)
    assert worker().run(_thread_name(), timeout=5) == "sandbox-worker"  # still serving


def test_a_blocking_call_can_run_coroutines_on_the_loop() -> None:
    def orchestrate() -> str:
        return worker().run(_thread_name(), timeout=5)

    assert worker().call(orchestrate).result(5) == "sandbox-worker"


def test_a_forked_child_starts_its_own_worker() -> None:
    parent = worker()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the parent's thread did not survive the fork
        ok = worker() is not parent and worker().run(_thread_name(), timeout=5) == "sandbox-worker"
        os.write(write, b"1" if ok else b"0")
        os._exit(0)
    os.close(write)
    assert os.read(read, 1) == b"1"
    os.waitpid(pid, 0)
