"""Listing runs and deliveries: request parameters become filters, pages come back with a
cursor (the last id shown), the same way /api/postbacks pages captures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.errors import NotFound, SandboxError
from sandbox.query.delivery_views import delivery_detail, delivery_view, run_view
from sandbox.query.listing import DEFAULT_LIMIT, MAX_LIMIT, parse_int
from sandbox.store import Store
from sandbox.store.deliveries import STATES, DeliveryFilter

KINDS = ("install", "event", "skan", "aak")
DELIVERY_PARAMS = ("run", "network", "state", "kind", "event_name", "click_id", "limit",
                   "cursor", "order")


def _choice(args: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    value = args.get(name) or None
    if value is not None and value not in allowed:
        raise SandboxError(f"{name}: expected one of {', '.join(allowed)}, got {value!r}",
                           code="bad_parameter", field=name)
    return value


def _paging(args: Mapping[str, str]) -> tuple[int, int | None]:
    limit = parse_int(args.get("limit", str(DEFAULT_LIMIT)), "limit", low=1, high=MAX_LIMIT)
    cursor = parse_int(args["cursor"], "cursor") if args.get("cursor") else None
    return limit, cursor


def delivery_page(store: Store, args: Mapping[str, str]) -> dict[str, Any]:
    filters = DeliveryFilter(
        run_id=parse_int(args["run"], "run") if args.get("run") else None,
        network=args.get("network") or None,
        state=_choice(args, "state", STATES),
        kind=_choice(args, "kind", KINDS),
        event_name=args.get("event_name") or None,
        click_id=args.get("click_id") or None,
    )
    order = _choice(args, "order", ("desc", "asc")) or "desc"
    limit, cursor = _paging(args)
    rows = store.deliveries.page(filters, limit=limit + 1, cursor=cursor,
                                 newest_first=order == "desc")
    views = [delivery_view(row) for row in rows[:limit]]
    more = len(rows) > limit
    return {"deliveries": views, "next_cursor": str(views[-1]["id"]) if more else None,
            "count": len(views)}


def delivery_one(store: Store, delivery_id: int) -> dict[str, Any]:
    row = store.deliveries.get(delivery_id)
    if row is None:
        raise NotFound(f"no delivery with id {delivery_id}", field="delivery_id")
    return delivery_detail(row, store.deliveries.attempts(delivery_id))


def run_page(store: Store, args: Mapping[str, str]) -> dict[str, Any]:
    limit, cursor = _paging(args)
    rows = store.runs.page(limit=limit + 1, cursor=cursor)
    views = [run_view(row) for row in rows[:limit]]
    more = len(rows) > limit
    return {"runs": views, "next_cursor": str(views[-1]["id"]) if more else None,
            "count": len(views)}


def run_one(store: Store, run_id: int) -> dict[str, Any]:
    row = store.runs.get(run_id)
    if row is None:
        raise NotFound(f"no run with id {run_id}", field="run_id")
    return run_view(row, counts=store.deliveries.state_counts(run_id))
