"""Aggregate queries behind the inspector's charts.

Only counts leave this module: the charts never load captures, deliveries or attempts
themselves. Histograms are bucketed in SQL with the edges the core passes in.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    sql += " GROUP BY minute, channel ORDER BY minute, channel"  # raw columns: no settling
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
    store.derivation.settle()
    rows = store.connection().execute(
        f"SELECT event_name, channel, count(*) AS n FROM captures{where} "
        "GROUP BY event_name, channel ORDER BY n DESC, event_name, channel",
        params,
    )
    return [(None if r[0] is None else str(r[0]), str(r[1]), int(r[2])) for r in rows]


def _bucket_case(expression: str, edges: Sequence[float]) -> tuple[str, list[float]]:
    """``CASE`` giving the index of the bucket ``expression`` falls in: bucket i holds values
    below ``edges[i]`` (and at or above the edge before); the last one everything above."""
    whens = " ".join(f"WHEN {expression} < ? THEN {i}" for i in range(len(edges)))
    return f"CASE {whens} ELSE {len(edges)} END", list(edges)


def latency_histogram(
    store: Store, *, edges: Sequence[float], run_id: int | None = None
) -> list[tuple[int, bool, int]]:
    """(bucket index, answered 2xx, attempts) over every delivery attempt (of one run)."""
    bucket, params = _bucket_case("a.latency_ms", edges)
    sql = (
        f"SELECT {bucket} AS bucket, "
        "CASE WHEN a.status BETWEEN 200 AND 299 THEN 1 ELSE 0 END AS ok, count(*) FROM attempts a"
    )
    if run_id is not None:
        sql += " JOIN deliveries d ON d.id = a.delivery_id WHERE d.run_id = ? AND"
        params.append(run_id)
    else:
        sql += " WHERE"
    sql += " a.latency_ms IS NOT NULL"
    sql += " GROUP BY bucket, ok ORDER BY bucket, ok"
    rows = store.connection().execute(sql, params)
    return [(int(r[0]), bool(r[1]), int(r[2])) for r in rows]


# A live install delivery's CTIT comes from the stored install and click when the delivery row
# has none (the live loop keeps both; a scenario run keeps neither, so its rows carry it).
_CTIT = "coalesce(d.ctit_seconds, i.installed_unix - c.clicked_unix)"


def ctit_histogram(
    store: Store, *, edges: Sequence[float], run_id: int | None = None
) -> list[tuple[int, int]]:
    """(bucket index, install deliveries) by click-to-install seconds (of one run)."""
    bucket, params = _bucket_case("ctit", edges)
    where = "d.kind = 'install'"
    run_params: list[object] = []
    if run_id is not None:
        where += " AND d.run_id = ?"
        run_params.append(run_id)
    sql = (
        f"SELECT {bucket} AS bucket, count(*) FROM (SELECT {_CTIT} AS ctit FROM deliveries d "
        "LEFT JOIN installs i ON i.install_id = d.install_id AND d.ctit_seconds IS NULL "
        "LEFT JOIN clicks c ON c.click_id = i.click_id "
        f"WHERE {where}) AS t WHERE ctit IS NOT NULL GROUP BY bucket ORDER BY bucket"
    )
    rows = store.connection().execute(sql, [*params, *run_params])
    return [(int(r[0]), int(r[1])) for r in rows]
