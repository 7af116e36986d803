"""A small HTTP client for a running sandbox: what the CLI and the pytest plugin talk through."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from sandbox.errors import ConfigError, SandboxError

DEFAULT_SERVER = "http://127.0.0.1:8377"


class SandboxClient:
    def __init__(self, url: str = DEFAULT_SERVER, *, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=self.url, headers=headers, timeout=60)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> SandboxClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One call; transport failures and error answers become clear SandboxErrors."""
        try:
            answer = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ConfigError(f"cannot reach the sandbox at {self.url}: {exc}") from None
        if answer.status_code >= 400 and answer.status_code != 417:
            try:
                error = answer.json()["error"]
                raise SandboxError(error["message"], code=error["code"],
                                   status=answer.status_code, field=error.get("field"))
            except (ValueError, KeyError, TypeError):
                raise SandboxError(f"{self.url}{path}: {answer.status_code} "
                                   f"{answer.text[:200]}", status=answer.status_code) from None
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
    with httpx.Client(timeout=2) as http:
        while True:
            try:
                if http.get(f"{url.rstrip('/')}/api/ping").status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"no sandbox answered at {url} within {timeout:g} s")
            time.sleep(interval)


def is_sandbox(url: str, *, timeout: float = 2) -> bool:
    """Whether ``url`` is a running sandbox (its /api/health answers as one does)."""
    try:
        answer = httpx.get(f"{url.rstrip('/')}/api/health", timeout=timeout)
        body = answer.json()
    except (httpx.HTTPError, ValueError):
        return False
    return (answer.status_code == 200 and isinstance(body, dict)
            and body.get("status") == "ok" and "postbacks" in body and "version" in body)
