"""What --db names: a SQLite path or sqlite:/// URL; anything else is a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.db_url import database, sqlite_path
from sandbox.errors import ConfigError
from sandbox.settings import load_settings
from sandbox.store import Store


@pytest.mark.parametrize("db,path", [
    ("./postback-sandbox.db", "./postback-sandbox.db"),
    ("sqlite:///sandbox.db", "sandbox.db"),
    ("sqlite:////srv/sandbox.db", "/srv/sandbox.db"),
    (":memory:", ":memory:"),
    ("C:/x.db", "C:/x.db"),
])
def test_sqlite_paths_and_urls(db: str, path: str):
    assert sqlite_path(db) == path


@given(st.text(alphabet=st.characters(blacklist_characters="\x00"), min_size=1).filter(
    lambda s: "://" not in s))
def test_a_plain_path_is_kept_as_it_is(path: str):
    assert sqlite_path(path) == path


@pytest.mark.parametrize("url", ["postgresql://sandbox@127.0.0.1:5432/sandbox",
                                 "postgres://u:p@h/d", "POSTGRESQL://h/d"])
def test_a_postgresql_url_is_kept_as_given(url: str):
    assert database(url) == url


@pytest.mark.parametrize("db,says", [
    ("mysql://u@h/d", "mysql:// is not a database"),
    ("sqlite:///", "names no file"),
])
def test_other_urls_are_refused_with_the_field(db: str, says: str):
    with pytest.raises(ConfigError) as raised:
        database(db)
    assert raised.value.field == "db" and says in raised.value.message


def test_settings_and_the_store_open_a_sqlite_url(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_settings({"db": "sqlite:///here.db"}, environ={}).db == "here.db"
    store = Store("sqlite:///here.db")
    try:
        assert store.captures.count() == 0
    finally:
        store.close()
    assert (tmp_path / "here.db").is_file()
