"""Following captures live: the rows a listing shows, and a cheap tail for the inspector.

Filters are a ``PostbackQuery`` from postback_query, the one place listing rules live.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.capture.trust import configured_secrets
from sandbox.capture.view import capture_view, mask_view
from sandbox.clock import Clock
from sandbox.query.listing import PostbackQuery
from sandbox.query.matchers import matches
from sandbox.store import Store

TAIL_LIMIT = 25  # rows per live update; a burst beyond it is reported as skipped


def summary(view: Mapping[str, Any]) -> dict[str, Any]:
    """The fields a listing row shows (the live stream sends these)."""
    keys = view.get("keys") or {}
    return {
        "id": view["id"],
        "channel": view["channel"],
        "method": view["method"],
        "path": view["path"],
        "query_string": view["query_string"],
        "received_at": view["received_at"],
        "status": (view.get("response") or {}).get("status"),
        "verdict": view.get("verdict"),
        "event_name": keys.get("event_name"),
        "click_id": keys.get("click_id"),
        "body_size": view.get("body_size"),
        "refused": view.get("refused"),
    }


@dataclass(frozen=True)
class Tail:
    """What a live tail reports: new matching rows (oldest first; ``more``: a burst held more
    than ``TAIL_LIMIT``, only the newest are sent), or that the captures were cleared (ids
    restart, so the follower starts over), or nothing (a heartbeat)."""

    rows: tuple[dict[str, Any], ...] = ()
    more: bool = False
    last_id: int = 0
    reset: bool = False
    heartbeat: bool = False


def follow(
    store: Store, query: PostbackQuery, clock: Clock, *, after_id: int, lifetime: float,
    poll: float = 0.5, heartbeat: float = 15.0,
) -> Iterator[Tail]:
    """Poll for captures above ``after_id`` that match, until ``lifetime`` seconds pass.

    Each poll costs one ``max(id)`` look-up; only when new rows exist is the filtered query run,
    for at most ``TAIL_LIMIT`` rows (the newest), so a flood of captures costs a follower no
    more than a quiet minute does.
    """
    seen = after_id
    started = last_sent = clock.monotonic()
    while clock.monotonic() - started < lifetime:
        top = store.captures.last_id()
        if top < seen:
            seen = 0
            last_sent = clock.monotonic()
            yield Tail(reset=True, last_id=0)
        if top > seen:
            rows = store.captures.page(
                query.filters, limit=TAIL_LIMIT + 1, before_id=top + 1, after_id=seen
            )
            newest = list(reversed(rows[:TAIL_LIMIT]))
            secrets = configured_secrets(store.channels.verifications())
            views = (capture_view(row) for row in newest)
            shown = [summary(mask_view(view, secrets)) for view in views
                     if matches(query.residual, view)]
            seen = top
            if shown or len(rows) > TAIL_LIMIT:
                last_sent = clock.monotonic()
                yield Tail(rows=tuple(shown), more=len(rows) > TAIL_LIMIT, last_id=top)
        if clock.monotonic() - last_sent >= heartbeat:
            last_sent = clock.monotonic()
            yield Tail(heartbeat=True, last_id=seen)
        clock.sleep(poll)
