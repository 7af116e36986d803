"""Aggregate queries behind the inspector's charts.

Only counts leave this module: the charts never load captures themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.store import Store

# received_at is ISO-8601 text ("2026-11-28T10:00:00.123456Z"): its first 16 characters are the
# minute, so grouping needs no date functions and the received_at index bounds the scan.
MINUTE_CHARS = 16


def per_minute(
    store: Store, *, since: str, channel: str | None = None
) -> list[tuple[str, str, int]]:
    """(minute "YYYY-MM-DDTHH:MM", channel, captures) received at or after ``since``."""
    sql = (
        f"SELECT substr(received_at, 1, {MINUTE_CHARS}) AS minute, channel, count(*) "
        "FROM captures WHERE received_at >= ?"
    )
    params: list[object] = [since]
    if channel is not None:
        sql += " AND channel = ?"
        params.append(channel)
    sql += " GROUP BY minute, channel ORDER BY minute, channel"
    rows = store.connection().execute(sql, params)
    return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]


def event_names(
    store: Store, *, channel: str | None = None, since: str | None = None
) -> list[tuple[str | None, str, int]]:
    """(event_name or None, channel, captures), most frequent first."""
    clauses, params = [], []
    if channel is not None:
        clauses.append("channel = ?")
        params.append(channel)
    if since is not None:
        clauses.append("received_at >= ?")
        params.append(since)
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    rows = store.connection().execute(
        f"SELECT event_name, channel, count(*) AS n FROM captures{where} "
        "GROUP BY event_name, channel ORDER BY n DESC, event_name, channel",
        params,
    )
    return [(None if r[0] is None else str(r[0]), str(r[1]), int(r[2])) for r in rows]
