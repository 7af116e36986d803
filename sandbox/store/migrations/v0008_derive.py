"""Version 8: raw first, derived after.

A capture is committed raw on the request path (``derived = 0``: its query, form and JSON
views, keys, lint and flag-only verdict not filled in yet) and derived from its raw parts by
the deriver soon after (``derived = 1``). Rows written before this version were derived when
they were written. ``deriver`` is the lease that lets one process derive at a time.
"""

SQL = """
ALTER TABLE captures ADD COLUMN derived INTEGER NOT NULL DEFAULT 1;
CREATE INDEX captures_underived ON captures (id) WHERE derived = 0;
CREATE TABLE deriver (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    holder TEXT,
    expires REAL NOT NULL DEFAULT 0
);
INSERT INTO deriver (id) VALUES (1)
"""
