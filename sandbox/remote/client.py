"""A small HTTP client for a running sandbox: what the CLI and the pytest plugin talk through
(the one HTTP client, ``sandbox/delivery/http.py``, on the process's worker)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlencode

from sandbox.compact_json import compact_json
from sandbox.delivery.http import NETWORK_ERRORS, Response
from sandbox.delivery.worker import fetch
from sandbox.errors import ConfigError, SandboxError

DEFAULT_SERVER = "http://127.0.0.1:8377"


class SandboxClient:
    def __init__(self, url: str = DEFAULT_SERVER, *, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.headers = [("Authorization", f"Bearer {token}")] if token else []

    def close(self) -> None:
        """Nothing to close: connections belong to the process's worker."""

    def __enter__(self) -> SandboxClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, *, json: Any = None,
                params: Mapping[str, Any] | None = None, timeout: float = 60) -> Response:
        """One call; transport failures and error answers become clear SandboxErrors."""
        url = f"{self.url}{path}"
        if params:
            url += "?" + urlencode(params, doseq=True)
        headers, body = list(self.headers), None
        if json is not None:
            headers.append(("Content-Type", "application/json"))
            body = compact_json(json).encode()
        try:
            answer = fetch(method, url, headers, body, timeout=timeout)
        except NETWORK_ERRORS as exc:
            reason = str(exc) or type(exc).__name__
            raise ConfigError(f"cannot reach the sandbox at {self.url}: {reason}") from None
        if answer.status >= 400 and answer.status != 417:
            try:
                error = answer.json()["error"]
                raise SandboxError(error["message"], code=error["code"],
                                   status=answer.status, field=error.get("field"))
            except (ValueError, KeyError, TypeError):
                raise SandboxError(f"{self.url}{path}: {answer.status} "
                                   f"{answer.text[:200]}", status=answer.status) from None
        return answer

    def assert_(self, documents: Any, *, wait: float = 0) -> dict[str, Any]:
        """POST /api/assert; the answer body (it says ``ok``), waiting as long as asked."""
        answer = self.request("POST", "/api/assert", json=documents, timeout=wait + 30)
        body: dict[str, Any] = answer.json()
        return body

    def postbacks(self, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Every postback matching ``params``, oldest first, following the cursor."""
        query = {"order": "asc", "limit": 500, **params}
        while True:
            page = self.request("GET", "/api/postbacks", params=query).json()
            yield from page["postbacks"]
            if not page["next_cursor"]:
                return
            query["cursor"] = page["next_cursor"]

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs).json()

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs).json()

    def start_run(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST /api/runs: the server delivers the scenario and logs the run; its view."""
        run: dict[str, Any] = self.post("/api/runs", json=dict(body))
        return run

    def run(self, run_id: int) -> dict[str, Any]:
        run: dict[str, Any] = self.get(f"/api/runs/{run_id}")
        return run

    def stop_run(self, run_id: int) -> None:
        self.request("POST", f"/api/runs/{run_id}/stop")

    def export(self, params: Mapping[str, str]) -> str:
        return self.request("GET", "/api/export", params=params).text

    def clear(self, channel: str | None) -> int:
        params = {"channel": channel} if channel else {}
        return int(self.request("DELETE", "/api/postbacks", params=params).json()["deleted"])

    def last_id(self) -> int:
        page = self.request("GET", "/api/postbacks", params={"limit": 1}).json()
        return int(page["postbacks"][0]["id"]) if page["postbacks"] else 0


def wait_until_up(url: str, *, timeout: float = 30, interval: float = 0.1) -> float:
    """Poll /api/ping until the sandbox answers; the seconds it took. TimeoutError if never."""
    started = time.monotonic()
    while True:
        try:
            if fetch("GET", f"{url.rstrip('/')}/api/ping", timeout=2).status == 200:
                return time.monotonic() - started
        except NETWORK_ERRORS:
            pass
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"no sandbox answered at {url} within {timeout:g} s")
        time.sleep(interval)


def is_sandbox(url: str, *, timeout: float = 2) -> bool:
    """Whether ``url`` is a running sandbox (its /api/health answers as one does)."""
    try:
        answer = fetch("GET", f"{url.rstrip('/')}/api/health", timeout=timeout)
        body = answer.json()
    except (*NETWORK_ERRORS, ValueError):
        return False
    return (answer.status == 200 and isinstance(body, dict)
            and body.get("status") == "ok" and "postbacks" in body and "version" in body)
