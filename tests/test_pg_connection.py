"""The PostgreSQL adapter's text rules: placeholders outside string literals, every % escaped,
passwords kept out of messages."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sandbox.store.pg_connection import pool_settings, redact, to_psycopg

plain = st.text(alphabet="abc =(),?%", max_size=8)
literal = st.text(alphabet="ab ?%'", max_size=6).map(lambda s: "'" + s.replace("'", "''") + "'")


@given(st.lists(st.tuples(plain, literal), max_size=4))
def test_placeholders_outside_literals_and_every_percent(pieces: list[tuple[str, str]]):
    sql = "".join(text + quoted for text, quoted in pieces)
    expected = "".join(text.replace("%", "%%").replace("?", "%s") + quoted.replace("%", "%%")
                       for text, quoted in pieces)
    assert to_psycopg(sql, True) == expected


def test_without_parameters_the_text_goes_as_it_is():
    assert to_psycopg("SELECT '?', 5 % 2", False) == "SELECT '?', 5 % 2"
    assert to_psycopg("  begin immediate", False) == "BEGIN"


@given(st.text(alphabet="abcXYZ019!$&*", min_size=1, max_size=12))
def test_a_password_never_shows(password: str):
    shown = redact(f"postgresql://sandbox:{password}@db.example:5432/sandbox")
    assert shown == "postgresql://sandbox:***@db.example:5432/sandbox"
    assert redact("postgresql://sandbox@db.example/sandbox") == (
        "postgresql://sandbox@db.example/sandbox")


def test_pool_options_are_taken_out_and_the_rest_kept_as_libpq_reads_it():
    settings = pool_settings("postgresql://u@h/db?connection_limit=3&options=-c%20search_path%3Ds"
                             "&pool_timeout=2.5&sslmode=disable")
    assert (settings.limit, settings.timeout) == (3, 2.5)
    assert settings.url == "postgresql://u@h/db?options=-c%20search_path%3Ds&sslmode=disable"
    assert pool_settings("postgresql://u@h/db").url == "postgresql://u@h/db"
