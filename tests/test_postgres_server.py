"""The test session's PostgreSQL server is the real thing: Debian's server, not as root,
on loopback, a place of its own per test (a schema of a shared database, or a database)."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg

from tests.postgres import PostgresServer


def test_the_server_answers_on_loopback(postgres_url: str):
    with psycopg.connect(postgres_url) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()
        address = conn.execute("SELECT inet_server_addr()").fetchone()
    assert version is not None and int(version[0]) >= 150000
    assert address is not None and str(address[0]) == "127.0.0.1"


def test_it_does_not_run_as_root(postgres: PostgresServer):
    pid = int((postgres.home / "data" / "postmaster.pid").read_text().split()[0])
    status = Path(f"/proc/{pid}/status").read_text()
    real_uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
    assert real_uid != 0
    if os.geteuid() != 0:
        assert real_uid == os.geteuid()


def test_each_test_gets_its_own_empty_place(postgres: PostgresServer, postgres_url: str):
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE mine (id integer)")
    other_schema = postgres.create_schema("t_other_schema_for_this_test")
    other_database = postgres.create_database("t_other_for_this_test")
    for other in (other_schema, other_database):
        with psycopg.connect(other) as conn:
            seen = conn.execute("SELECT to_regclass('mine')").fetchone()
        assert seen == (None,)  # unqualified names see only their own schema
