"""The pytest plugin: a ``postback_sandbox`` fixture with a live sandbox for your tests.

Registered through the ``pytest11`` entry point, so installing postback-sandbox is enough.
One server starts per test session (on a free port, with its own temporary database), and each
test sees only the postbacks that arrived during it (the fixture scopes by ``since_id``).
Point it at an already running sandbox with ``--postback-sandbox-url``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlencode

import pytest

from sandbox.query.report import report
from sandbox.remote.client import SandboxClient, wait_until_up
from sandbox.remote.process import RunningServer, start_server


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("postback-sandbox")
    group.addoption("--postback-sandbox-url", default=None,
                    help="Use the sandbox running at this URL instead of starting one.")
    group.addoption("--postback-sandbox-token", default=None,
                    help="Admin token for a sandbox exposed beyond loopback.")


class PostbackSandbox:
    """A handle on a live sandbox, scoped to the postbacks of the current test."""

    def __init__(self, base_url: str, *, token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = SandboxClient(self.base_url, token=token)
        self.since_id = self.client.last_id()

    def url(self, channel: str = "default", path: str = "", **query: Any) -> str:
        """The postback URL for a channel, with optional sub-path and query parameters."""
        tail = "/" + path.lstrip("/") if path else ""
        suffix = f"?{urlencode(query, doseq=True)}" if query else ""
        return f"{self.base_url}/pb/{channel}{tail}{suffix}"

    def postbacks(self, channel: str | None = None, **keys: str) -> list[dict[str, Any]]:
        """Every postback of this test (oldest first), optionally by channel and key columns."""
        params: dict[str, Any] = {"since_id": self.since_id, **keys}
        if channel:
            params["channel"] = channel
        return list(self.client.postbacks(params))

    def assert_received(
        self,
        channel: str | None = None,
        *,
        where: Mapping[str, Any] | None = None,
        count: int | Mapping[str, Any] | None = None,
        unique: str | None = None,
        within: float = 0,
        during: float = 0,
    ) -> dict[str, Any]:
        """Assert on this test's postbacks; fails the test with the near misses explained."""
        document: dict[str, Any] = {"where": dict(where or {}), "since_id": self.since_id,
                                    "within": within, "during": during}
        if channel is not None:
            document["channel"] = channel
        if count is not None:
            document["count"] = count
        if unique is not None:
            document["unique"] = unique
        result = self.client.assert_(document, wait=within + during)
        if not result["ok"]:
            pytest.fail(report([result]), pytrace=False)
        return result

    def close(self) -> None:
        self.client.close()


@pytest.fixture(scope="session")
def _postback_sandbox_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str | None]]:
    url = request.config.getoption("--postback-sandbox-url")
    token = request.config.getoption("--postback-sandbox-token")
    if url:
        wait_until_up(url)
        yield url, token
        return
    server: RunningServer = start_server(tmp_path_factory.mktemp("postback-sandbox") / "pb.db")
    try:
        yield server.url, token
    finally:
        server.stop()


@pytest.fixture
def postback_sandbox(
    _postback_sandbox_server: tuple[str, str | None],
) -> Iterator[PostbackSandbox]:
    """A live sandbox scoped to this test: ``url()``, ``postbacks()``, ``assert_received()``."""
    url, token = _postback_sandbox_server
    sandbox = PostbackSandbox(url, token=token)
    yield sandbox
    sandbox.close()
