"""Shared fixtures: a live server on a free loopback port; the served app (the one the server
runs) in process on a temp DB and a fake clock, with a client."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, settings

from sandbox.clock import FakeClock
from sandbox.remote.process import RunningServer, start_server
from sandbox.settings import load_settings
from sandbox.store import Store
from sandbox.web.entry import SandboxASGI, build
from tests.bad_receiver import running_bad_receiver
from tests.postgres import PostgresServer, running_postgres
from tests.served import ServedApp, ServedClient

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "sandbox.db"


# Every in-process test runs on both databases; SANDBOX_TEST_BACKEND=sqlite (or postgresql)
# runs one, for a quicker loop while developing.
BACKENDS = [name for name in ("sqlite", "postgresql")
            if os.environ.get("SANDBOX_TEST_BACKEND", name) == name]
sqlite_only = pytest.mark.sqlite_only  # about SQLite's own files, locks or query plans


@pytest.fixture(params=BACKENDS)
def store(db_path: Path, request: pytest.FixtureRequest) -> Iterator[Store]:
    """The in-process tests' store: a SQLite file, and a new database on the session's
    PostgreSQL server."""
    if request.param == "postgresql":
        if request.node.get_closest_marker("sqlite_only"):
            pytest.skip("about SQLite's own files, locks or query plans")
        store = Store(request.getfixturevalue("postgres_url"))
    else:
        store = Store(db_path)
    yield store
    store.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def serve() -> Iterator[Callable[[SandboxASGI], ServedClient]]:
    """Serve a built app in process (on its own loop, as the server starts it) for this test;
    a client for it. Each is stopped when the test ends: before the ``store`` fixture closes
    when that was asked for first (fixtures end in the reverse of their start)."""
    started: list[ServedApp] = []

    def start(asgi: SandboxASGI) -> ServedClient:
        started.append(ServedApp(asgi))
        return ServedClient(started[-1])

    yield start
    for served in reversed(started):
        served.close()


@pytest.fixture
def client(store: Store, serve: Callable[[SandboxASGI], ServedClient], clock: FakeClock,
           db_path: Path) -> ServedClient:
    """The whole sandbox in process, on a fake clock."""
    return serve(build(load_settings({"db": str(db_path)}, environ={}), clock=clock,
                       store=store))


@pytest.fixture
def served(client: ServedClient) -> ServedApp:
    """The app behind ``client`` (its Flask app is ``.app``)."""
    application = client.application
    assert isinstance(application, ServedApp)
    return application


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One real server (granian, 2 workers) for the session; tests clear what they use."""
    server = start_server(tmp_path_factory.mktemp("live") / "live.db")
    yield server
    server.stop()


@pytest.fixture
def server(live_server: RunningServer) -> Iterator[RunningServer]:
    httpx.delete(f"{live_server.url}/api/postbacks")
    yield live_server


@pytest.fixture
def bad_receiver() -> Iterator[ThreadingHTTPServer]:
    """A receiver on loopback that behaves as its ``mode`` says (tests/bad_receiver.py)."""
    with running_bad_receiver() as httpd:
        yield httpd


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the session (started by the first test that asks)."""
    with running_postgres() as server:
        yield server


@pytest.fixture
def postgres_url(postgres: PostgresServer) -> str:
    """A new, empty place on the session's PostgreSQL server for this test alone: a schema of
    a shared database (``PostgresServer.create_schema``; what the sandbox sees of it is a
    database of its own). Tests about whole databases call ``create_database``."""
    return postgres.create_schema(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=BACKENDS)
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new database on each backend the store runs on: a SQLite file, a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "sandbox.db")
    return str(request.getfixturevalue("postgres_url"))
