"""Helpers for the issue-7 tests: configure a channel, send a signed request in process."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from werkzeug.test import Client, TestResponse

from sandbox.signing import OutgoingRequest, parse_profile, sign

BODY = b'{"event": "install", "click_id": "c-1", "revenue": 1.5}'


def put_channel(
    client: Client, name: str, verification: Any, answer: dict[str, Any] | None = None
) -> TestResponse:
    body: dict[str, Any] = {"verification": verification}
    if answer is not None:
        body["answer"] = answer
    response = client.put(f"/api/channels/{name}", json=body)
    assert response.status_code == 200, response.json
    return response


def signed(
    verification: dict[str, Any], channel: str, *, at: datetime, query: str = "click_id=c-1",
    body: bytes = BODY, message_id: str = "msg_1", method: str = "POST",
) -> OutgoingRequest:
    request = OutgoingRequest(
        method, f"http://127.0.0.1/pb/{channel}?{query}",
        (("Content-Type", "application/json"),), body,
    )
    return sign(parse_profile(verification), request, message_id=message_id, at=at)


def send(client: Client, request: OutgoingRequest, **environ: Any) -> TestResponse:
    parts = urlsplit(request.url)
    return client.open(
        parts.path + (f"?{parts.query}" if parts.query else ""), method=request.method,
        headers=list(request.headers), data=request.body,
        environ_base={"REMOTE_ADDR": "127.0.0.1", **environ},
    )


def last_capture(client: Client, **params: str) -> dict[str, Any]:
    page = client.get("/api/postbacks", query_string={"limit": "1", "reveal": "1", **params})
    postbacks = page.json["postbacks"]
    assert postbacks, page.json
    return dict(postbacks[0])
