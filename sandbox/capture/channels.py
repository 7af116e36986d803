"""How a channel answers: status, headers, body, delay, and failures on purpose.

A channel's answer settings come from the config file or ``PUT /api/channels/<channel>``.
``decide`` is pure: given the settings and the request's number on that channel (counted in
the database, so it holds across worker processes), it says what to answer.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from sandbox.errors import SandboxError
from sandbox.store.records import Answer

MAX_DELAY_MS = 60_000
ANSWER_FIELDS = (
    "status", "headers", "body", "delay_ms", "fail_first", "fail_status", "fail_fraction", "seed",
)


def _bad(field_name: str, message: str) -> SandboxError:
    path = "answer" if field_name == "answer" else f"answer.{field_name}"
    return SandboxError(f"{path}: {message}", code="bad_channel_config", field=path)


def _int(raw: dict, name: str, default: int, low: int, high: int) -> int:
    value = raw.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(name, f"expected a whole number from {low} to {high}, got {value!r}")
    return value


@dataclass(frozen=True)
class ChannelAnswer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None  # None: the default {"ok": true, "id": N}
    delay_ms: int = 0
    fail_first: int = 0
    fail_status: int = 503
    fail_fraction: float = 0.0
    seed: int = 0

    @property
    def counts_requests(self) -> bool:
        return self.fail_first > 0 or self.fail_fraction > 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_answer(raw: Any) -> ChannelAnswer:
    """Validate answer settings from a config file or the API; errors name the field."""
    if not isinstance(raw, dict):
        raise _bad("answer", "expected an object")
    unknown = sorted(set(raw) - set(ANSWER_FIELDS))
    if unknown:
        raise _bad(unknown[0], f"unknown setting; expected one of {', '.join(ANSWER_FIELDS)}")
    headers = raw.get("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and "\n" not in k + v
        for k, v in headers.items()
    ):
        raise _bad("headers", "expected an object of header name to string value")
    body = raw.get("body")
    if body is not None and not isinstance(body, str):
        body = json.dumps(body)  # a JSON value given inline is answered as JSON text
    fraction = raw.get("fail_fraction", 0.0)
    if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not (
        0 <= fraction <= 1
    ):
        raise _bad("fail_fraction", f"expected a number from 0 to 1, got {fraction!r}")
    return ChannelAnswer(
        status=_int(raw, "status", 200, 100, 599),
        headers=dict(headers),
        body=body,
        delay_ms=_int(raw, "delay_ms", 0, 0, MAX_DELAY_MS),
        fail_first=_int(raw, "fail_first", 0, 0, 1_000_000),
        fail_status=_int(raw, "fail_status", 503, 100, 599),
        fail_fraction=float(fraction),
        seed=_int(raw, "seed", 0, 0, 2**63 - 1),
    )


def _seeded_fraction(seed: int, number: int) -> float:
    digest = hashlib.sha256(f"{seed}:{number}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def decide(answer: ChannelAnswer, number: int) -> Answer:
    """What the ``number``-th request (1-based) on a channel gets answered."""
    failing = 0 < number <= answer.fail_first or (
        answer.fail_fraction > 0 and _seeded_fraction(answer.seed, number) < answer.fail_fraction
    )
    if failing:
        body = json.dumps({"ok": False, "error": "failure requested by channel settings"})
        return Answer(answer.fail_status, {}, body, answer.delay_ms, failed_on_purpose=True)
    return Answer(answer.status, dict(answer.headers), answer.body, answer.delay_ms)


def default_body(capture_id: int) -> str:
    return f'{{"ok": true, "id": {capture_id}}}'


DEFAULT_ANSWER = ChannelAnswer()
