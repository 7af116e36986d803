"""Listing captures: turn request parameters into a filter, run it, shape a page.

The API, the CLI export and the inspector all list postbacks through here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sandbox.capture.keys import KEY_NAMES
from sandbox.capture.trust import configured_secrets
from sandbox.capture.view import capture_view, shown_view
from sandbox.clock import Clock, SystemClock, iso_utc
from sandbox.errors import SandboxError
from sandbox.query.conditions import parse_conditions
from sandbox.query.document import Condition, parse_where
from sandbox.query.matchers import ScanBudget, matches
from sandbox.query.sql_conditions import TRUE, translate_where
from sandbox.signing import VERDICTS
from sandbox.store import Store
from sandbox.store.captures import SQLITE_MAX_INT, CaptureFilter

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_SCAN = 5000  # rows checked in Python for one page when conditions need it
SCAN_BATCH = 500
FILTER_PARAMS = ("channel", "method", "since", "since_id", "q", "verdict", *KEY_NAMES)
VERDICT_FILTERS = (*VERDICTS, "none")  # "none": captures that were not verified


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


def parse_int(value: str, name: str, *, low: int = 0, high: int | None = SQLITE_MAX_INT) -> int:
    try:
        number = int(value)
    except ValueError:
        raise _bad(name, f"expected a whole number, got {value!r}") from None
    if number < low or (high is not None and number > high):
        upper = f" to {high}" if high is not None else " or more"
        raise _bad(name, f"expected {low}{upper}, got {number}")
    return number


def parse_verdict(value: str) -> str:
    if value not in VERDICT_FILTERS:
        raise _bad("verdict", f"expected one of {', '.join(VERDICT_FILTERS)}, got {value!r}")
    return value


def parse_reveal(args: Mapping[str, str]) -> bool:
    """``reveal=1`` shows tokens and secrets unmasked (the API sits behind the admin token)."""
    value = args.get("reveal", "0")
    if value not in ("0", "1", "true", "false"):
        raise _bad("reveal", f"expected 1 or 0, got {value!r}")
    return value in ("1", "true")


@dataclass
class PostbackQuery:
    filters: CaptureFilter
    limit: int = DEFAULT_LIMIT
    cursor: int | None = None
    newest_first: bool = True
    where: tuple[str, ...] = ()  # the conditions as written
    residual: tuple[Condition, ...] = ()  # conditions SQL cannot check, checked in Python


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
    if args.get("verdict"):
        filters.verdict = parse_verdict(args["verdict"])
    order = args.get("order", "desc")
    if order not in ("asc", "desc"):
        raise _bad("order", f"expected asc or desc, got {order!r}")
    query = PostbackQuery(
        filters=filters,
        limit=parse_int(args.get("limit", str(DEFAULT_LIMIT)), "limit", low=1, high=MAX_LIMIT),
        cursor=parse_int(args["cursor"], "cursor") if args.get("cursor") else None,
        newest_first=order == "desc",
    )
    texts = tuple(text for text in where if text.strip())
    if texts:
        # Conditions in the assertion grammar: pushed down to SQL where they can be, the rest
        # (regex, body, ...) checked with the pure matcher on the rows SQL selects.
        translated = translate_where(parse_where(parse_conditions(texts)))
        if translated.clause != TRUE:
            filters.extra_sql.append(translated.clause)
            filters.extra_params.extend(translated.params)
        query.where = texts
        query.residual = translated.residual
    return query


def _secrets(store: Store, reveal: bool) -> list[str]:
    return [] if reveal else configured_secrets(store.channels.verifications())


def page(
    store: Store, query: PostbackQuery, *, reveal: bool = False, clock: Clock | None = None,
) -> dict[str, Any]:
    """One page of capture views (masked unless ``reveal``) and the next page's cursor.

    Without Python-side conditions this is one indexed query. With them, rows are scanned in
    batches, at most MAX_SCAN per page and for at most the matchers' scan budget, so a rare
    match never loads the whole table: such a page may come back short, with a
    ``next_cursor`` to scan on from.
    """
    budget = ScanBudget(clock or SystemClock())
    cursor, scanned, last_id, exhausted = query.cursor, 0, None, False
    found: list[Any] = []
    while len(found) <= query.limit and scanned < MAX_SCAN and not budget.spent():
        batch = SCAN_BATCH if query.residual else query.limit + 1
        bound = {"before_id" if query.newest_first else "after_id": cursor}
        rows = store.captures.page(
            query.filters, limit=batch, newest_first=query.newest_first, **bound
        )
        for row in rows:
            if query.residual and budget.spent():
                break
            scanned += 1
            last_id = row.id
            if not query.residual or matches(query.residual, capture_view(row)):
                found.append(row)
                if len(found) > query.limit:
                    break
        if budget.ran_out:
            break
        if len(rows) < batch:
            exhausted = True
            break
        cursor = last_id
    more = len(found) > query.limit
    rows = found[: query.limit]
    secrets = _secrets(store, reveal)
    views = [shown_view(row, reveal=reveal, secrets=secrets) for row in rows]
    if more:
        next_cursor: str | None = str(rows[-1].id)
    elif not exhausted and last_id is not None:
        next_cursor = str(last_id)  # the scan budget ran out before the end
    else:
        next_cursor = None
    return {"postbacks": views, "next_cursor": next_cursor, "count": len(views)}


def export(
    store: Store, filters: CaptureFilter, *, reveal: bool = False,
    residual: Sequence[Condition] = (),
) -> Iterator[dict[str, Any]]:
    """Every matching capture view, oldest first, masked unless ``reveal``."""
    secrets = _secrets(store, reveal)
    for row in store.captures.iterate(filters):
        if residual and not matches(residual, capture_view(row)):
            continue
        yield shown_view(row, reveal=reveal, secrets=secrets)


def one(store: Store, capture_id: int, *, reveal: bool = False) -> dict[str, Any] | None:
    row = store.captures.get(capture_id)
    if row is None:
        return None
    return shown_view(row, reveal=reveal, secrets=_secrets(store, reveal))
