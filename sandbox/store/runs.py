"""Scenario runs: one row per ``postback-sandbox run``, its live summary and final results."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sandbox.store.records import StoredRun

if TYPE_CHECKING:
    from sandbox.store import Store

RUN_STATES = ("running", "finished", "interrupted")


@dataclass(frozen=True)
class NewRun:
    scenario: str
    source: str | None
    seed: int
    mode: str  # "fast" | "paced"
    speed: float | None
    target_base: str | None
    concurrency: int
    started_at: str


class RunRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def start(self, run: NewRun) -> int:
        def write(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "INSERT INTO runs (scenario, source, seed, mode, speed, target_base, "
                "concurrency, started_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running')",
                (run.scenario, run.source, run.seed, run.mode, run.speed, run.target_base,
                 run.concurrency, run.started_at),
            )
            return int(cursor.lastrowid or 0)

        return int(self._store.writer.run(write))

    def update_summary(self, run_id: int, summary: Mapping[str, Any]) -> None:
        text = json.dumps(summary, sort_keys=True)
        self._store.writer.run(lambda conn: conn.execute(
            "UPDATE runs SET summary_json = ? WHERE id = ?", (text, run_id)))

    def finish(
        self,
        run_id: int,
        *,
        state: str,
        finished_at: str,
        summary: Mapping[str, Any],
        expectations: Sequence[Mapping[str, Any]] | None,
    ) -> None:
        values = (
            state, finished_at, json.dumps(summary, sort_keys=True),
            None if expectations is None else json.dumps(list(expectations)), run_id,
        )
        self._store.writer.run(lambda conn: conn.execute(
            "UPDATE runs SET state = ?, finished_at = ?, summary_json = ?, "
            "expectations_json = ? WHERE id = ?", values))

    def stop(self, run_id: int, *, finished_at: str) -> bool:
        """Mark a running run interrupted (its runner sees it and stops sending); False when
        it is not running any more."""
        changed = self._store.writer.run(lambda conn: conn.execute(
            "UPDATE runs SET state = 'interrupted', finished_at = ? "
            "WHERE id = ? AND state = 'running'", (finished_at, run_id)).rowcount)
        return bool(changed)

    def set_expectations(self, run_id: int, results: Sequence[Mapping[str, Any]]) -> None:
        text = json.dumps(list(results))
        self._store.writer.run(lambda conn: conn.execute(
            "UPDATE runs SET expectations_json = ? WHERE id = ?", (text, run_id)))

    def get(self, run_id: int) -> StoredRun | None:
        row: sqlite3.Row | None = self._store.connection().execute(
            "SELECT * FROM runs WHERE id = ?", (run_id,)
        ).fetchone()
        return None if row is None else stored_run(row)

    def page(self, *, limit: int, cursor: int | None) -> list[StoredRun]:
        """Newest first; ``cursor`` is the last id of the previous page."""
        if cursor is None:
            sql, params = "SELECT * FROM runs ORDER BY id DESC LIMIT ?", [limit]
        else:
            sql, params = "SELECT * FROM runs WHERE id < ? ORDER BY id DESC LIMIT ?", [
                cursor, limit]
        return [stored_run(row) for row in self._store.connection().execute(sql, params)]


def stored_run(row: sqlite3.Row) -> StoredRun:
    expectations = row["expectations_json"]
    return StoredRun(
        row["id"], row["scenario"], row["source"] or None, row["seed"], row["mode"],
        row["speed"], row["target_base"], row["concurrency"], row["state"],
        row["started_at"], row["finished_at"], json.loads(row["summary_json"] or "{}"),
        None if expectations is None else json.loads(expectations))
