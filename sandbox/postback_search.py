"""Listing captures with conditions in the assertion grammar, a page or a live tail at a time.

Builds on postback_query (channel, method, free text, keys, since, cursor) and adds ``verdict``
and ``where`` conditions (``query.event=install``, ``json.revenue>=1``...). Conditions go to SQL
through sql_conditions where they can; the rest (regex, body, ...) are checked with the pure
matcher on the rows SQL selects, scanning at most ``MAX_SCAN`` rows per page so a rare match
never loads the whole table: such a page may come back short with a ``next_cursor``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sandbox.assertion_doc import Condition, parse_where
from sandbox.capture_view import capture_view
from sandbox.clock import Clock
from sandbox.conditions import parse_conditions
from sandbox.matchers import matches
from sandbox.postback_query import PostbackQuery, parse_query
from sandbox.sql_conditions import translate_where
from sandbox.store import Store
from sandbox.store.stats import ensure_sql_functions

MAX_SCAN = 5000
SCAN_BATCH = 500
NO_VERDICT = "none"  # verdict=none lists postbacks that were not verified
TAIL_LIMIT = 25  # rows per live update; a burst beyond it is reported as skipped


@dataclass
class Search:
    query: PostbackQuery
    where: tuple[str, ...]
    residual: tuple[Condition, ...]


def parse_search(args: Mapping[str, str], *, where: Sequence[str] = ()) -> Search:
    """The listing parameters of /api/postbacks plus ``verdict`` and repeated ``where``."""
    query = parse_query(args)
    texts = [text for text in where if text.strip()]
    verdict = args.get("verdict")
    if verdict:
        texts.append("!verdict?" if verdict == NO_VERDICT else f"verdict={verdict}")
    conditions = parse_where(parse_conditions(texts)) if texts else ()
    translated = translate_where(conditions)
    if translated.clause != "1":
        query.filters.extra_sql.append(translated.clause)
        query.filters.extra_params.extend(translated.params)
    return Search(query=query, where=tuple(texts), residual=translated.residual)


def search_page(store: Store, search: Search) -> dict[str, Any]:
    """One page of capture views (the /api/postbacks page shape) and the next cursor."""
    ensure_sql_functions(store)
    query = search.query
    cursor = query.cursor
    found: list[dict[str, Any]] = []
    scanned = 0
    last_id: int | None = None
    exhausted = False
    while len(found) <= query.limit and scanned < MAX_SCAN:
        batch = query.limit + 1 if not search.residual else SCAN_BATCH
        rows = _rows(store, search, cursor, batch)
        for row in rows:
            scanned += 1
            last_id = int(row["id"])
            view = capture_view(row)
            if matches(search.residual, view):
                found.append(view)
                if len(found) > query.limit:
                    break
        if len(rows) < batch:
            exhausted = True
            break
        cursor = last_id
    more = len(found) > query.limit
    views = found[: query.limit]
    if more:
        next_cursor: str | None = str(views[-1]["id"])
    elif not exhausted and last_id is not None:
        next_cursor = str(last_id)  # the scan budget ran out before the end
    else:
        next_cursor = None
    return {"postbacks": views, "next_cursor": next_cursor, "count": len(views)}


def _rows(store: Store, search: Search, cursor: int | None, batch: int) -> list[Any]:
    query = search.query
    bound = {"before_id" if query.newest_first else "after_id": cursor}
    return store.captures.page(
        query.filters, limit=batch, newest_first=query.newest_first, **bound
    )


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


def row_summary(row: sqlite3.Row) -> dict[str, Any]:
    """``summary`` read straight from a stored row (what the live tail sends)."""
    return {
        "id": row["id"], "channel": row["channel"], "method": row["method"],
        "path": row["path"], "query_string": row["query_string"],
        "received_at": row["received_at"], "status": row["response_status"],
        "verdict": row["verdict"], "event_name": row["event_name"],
        "click_id": row["click_id"], "body_size": row["body_size"], "refused": row["refused"],
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
    store: Store, search: Search, clock: Clock, *, after_id: int, lifetime: float,
    poll: float = 0.5, heartbeat: float = 15.0,
) -> Iterator[Tail]:
    """Poll for captures above ``after_id`` that match, until ``lifetime`` seconds pass.

    Each poll costs one ``max(id)`` look-up; only when new rows exist is the filtered query run,
    for at most ``TAIL_LIMIT`` rows (the newest), so a flood of captures costs a follower no
    more than a quiet minute does.
    """
    ensure_sql_functions(store)
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
                search.query.filters, limit=TAIL_LIMIT + 1, before_id=top + 1, after_id=seen
            )
            newest = list(reversed(rows[:TAIL_LIMIT]))
            if search.residual:
                views = (capture_view(row) for row in newest)
                shown = [summary(v) for v in views if matches(search.residual, v)]
            else:  # the common case: no view to build, the columns are enough
                shown = [row_summary(row) for row in newest]
            seen = top
            if shown or len(rows) > TAIL_LIMIT:
                last_sent = clock.monotonic()
                yield Tail(rows=tuple(shown), more=len(rows) > TAIL_LIMIT, last_id=top)
        if clock.monotonic() - last_sent >= heartbeat:
            last_sent = clock.monotonic()
            yield Tail(heartbeat=True, last_id=seen)
        clock.sleep(poll)
