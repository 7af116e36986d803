"""Listing captures: turn request parameters into a filter, run it, shape a page.

The API, the CLI export and the inspector all list postbacks through here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sandbox.capture_view import capture_view
from sandbox.clock import iso_utc
from sandbox.errors import SandboxError
from sandbox.postback_keys import KEY_NAMES
from sandbox.store import Store
from sandbox.store.captures import CaptureFilter

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
FILTER_PARAMS = ("channel", "method", "since", "since_id", "q", *KEY_NAMES)


def _bad(name: str, message: str) -> SandboxError:
    return SandboxError(f"{name}: {message}", code="bad_parameter", field=name)


def parse_since(value: str, name: str = "since") -> str:
    """An ISO-8601 time (Z or offset) normalised to the stored UTC text form."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        example = "2026-11-28T10:00:00Z"
        raise _bad(name, f"expected an ISO-8601 time such as {example}, got {value!r}") from None
    if moment.tzinfo is None:
        raise _bad(name, f"expected a time zone (Z or +hh:mm) in {value!r}")
    return iso_utc(moment)


def parse_int(value: str, name: str, *, low: int = 0, high: int | None = None) -> int:
    try:
        number = int(value)
    except ValueError:
        raise _bad(name, f"expected a whole number, got {value!r}") from None
    if number < low or (high is not None and number > high):
        upper = f" to {high}" if high is not None else " or more"
        raise _bad(name, f"expected {low}{upper}, got {number}")
    return number


@dataclass
class PostbackQuery:
    filters: CaptureFilter
    limit: int = DEFAULT_LIMIT
    cursor: int | None = None
    newest_first: bool = True
    residual: list[Any] = field(default_factory=list)  # conditions checked in Python


def parse_query(args: Mapping[str, str], *, where: Sequence[str] = ()) -> PostbackQuery:
    """Build a query from request parameters; every mistake names its parameter."""
    filters = CaptureFilter(
        channel=args.get("channel") or None,
        method=args.get("method") or None,
        text=args.get("q") or None,
        keys={k: args[k] for k in KEY_NAMES if args.get(k)},
    )
    if args.get("since"):
        filters.since = parse_since(args["since"])
    if args.get("since_id"):
        filters.since_id = parse_int(args["since_id"], "since_id")
    order = args.get("order", "desc")
    if order not in ("asc", "desc"):
        raise _bad("order", f"expected asc or desc, got {order!r}")
    query = PostbackQuery(
        filters=filters,
        limit=parse_int(args.get("limit", str(DEFAULT_LIMIT)), "limit", low=1, high=MAX_LIMIT),
        cursor=parse_int(args["cursor"], "cursor") if args.get("cursor") else None,
        newest_first=order == "desc",
    )
    return query


def page(store: Store, query: PostbackQuery) -> dict[str, Any]:
    """One page of capture views and the cursor of the next page (None on the last)."""
    bound = {"before_id" if query.newest_first else "after_id": query.cursor}
    rows = store.captures.page(
        query.filters, limit=query.limit + 1, newest_first=query.newest_first, **bound
    )
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    views = [capture_view(row) for row in rows]
    next_cursor = str(rows[-1]["id"]) if more and rows else None
    return {"postbacks": views, "next_cursor": next_cursor, "count": len(views)}


def export(store: Store, filters: CaptureFilter) -> Iterator[dict[str, Any]]:
    for row in store.captures.iterate(filters):
        yield capture_view(row)
