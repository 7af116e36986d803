"""The pytest plugin: a ``postback_sandbox`` fixture with a live sandbox for your tests.

Registered through the ``pytest11`` entry point, so installing postback-sandbox is enough.
One server starts per test session (on a free port, with its own temporary database), and each
test sees only the postbacks that arrived during it (the fixture scopes by ``since_id``).
Point it at an already running sandbox with ``--postback-sandbox-url``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from sandbox.testing import RunningServer, start_server, wait_until_up


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("postback-sandbox")
    group.addoption(
        "--postback-sandbox-url",
        default=None,
        help="Use the sandbox running at this URL instead of starting one.",
    )
    group.addoption(
        "--postback-sandbox-token",
        default=None,
        help="Admin token for a sandbox exposed beyond loopback.",
    )


class PostbackSandbox:
    """A handle on a live sandbox, scoped to the postbacks of the current test."""

    def __init__(self, base_url: str, *, token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=self.base_url, headers=headers, timeout=330)
        self.since_id = self._last_id()

    def _last_id(self) -> int:
        page = self.http.get("/api/postbacks", params={"limit": 1}).raise_for_status().json()
        return int(page["postbacks"][0]["id"]) if page["postbacks"] else 0

    def url(self, channel: str = "default", path: str = "", **query: Any) -> str:
        """The postback URL for a channel, with optional sub-path and query parameters."""
        tail = "/" + path.lstrip("/") if path else ""
        suffix = f"?{urlencode(query, doseq=True)}" if query else ""
        return f"{self.base_url}/pb/{channel}{tail}{suffix}"

    def postbacks(self, channel: str | None = None, **keys: str) -> list[dict[str, Any]]:
        """Every postback of this test (oldest first), optionally by channel and key columns."""
        params: dict[str, Any] = {"since_id": self.since_id, "order": "asc", "limit": 500}
        if channel:
            params["channel"] = channel
        params.update(keys)
        found: list[dict[str, Any]] = []
        while True:
            page = self.http.get("/api/postbacks", params=params).raise_for_status().json()
            found.extend(page["postbacks"])
            if not page["next_cursor"]:
                return found
            params["cursor"] = page["next_cursor"]


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
def postback_sandbox(_postback_sandbox_server: tuple[str, str | None]) -> Iterator[PostbackSandbox]:
    url, token = _postback_sandbox_server
    sandbox = PostbackSandbox(url, token=token)
    yield sandbox
    sandbox.http.close()
