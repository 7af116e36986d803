"""Reading a running sandbox over HTTP, as a user's script would."""

from __future__ import annotations

from typing import Any

import httpx


def all_postbacks(url: str, channel: str) -> list[dict[str, Any]]:
    """Every capture of ``channel``, page after page of ``/api/postbacks``."""
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"channel": channel, "limit": 500}
    while True:
        page = httpx.get(f"{url}/api/postbacks", params=params).json()
        found.extend(page["postbacks"])
        if not page["next_cursor"]:
            return found
        params["cursor"] = page["next_cursor"]
