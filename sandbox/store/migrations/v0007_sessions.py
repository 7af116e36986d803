"""Version 7: inspector login sessions, so logging out ends a session on every worker.

A row holds a digest of the session id and the admin token it was opened under (never either
itself), and when it was opened: a changed token, a logout or age ends it.
"""

SQL = """
CREATE TABLE sessions (
    digest TEXT PRIMARY KEY,
    opened_at REAL NOT NULL
) WITHOUT ROWID
"""
