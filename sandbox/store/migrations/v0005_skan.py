"""Version 5: the sandbox's own SKAdNetwork / AdAttributionKit signing keys.

Rotation retires the current key (``retired_at``) and adds a new one; retired keys stay so
postbacks signed before a rotation still verify. ``current`` is 1 on the one current key and
NULL on retired ones, so the UNIQUE constraint allows only one current key.
"""

SQL = """
CREATE TABLE skan_keys (
    id INTEGER PRIMARY KEY,
    key_id TEXT NOT NULL UNIQUE,
    public_key TEXT NOT NULL,
    private_pem TEXT NOT NULL,
    created_at TEXT NOT NULL,
    retired_at TEXT,
    current INTEGER UNIQUE CHECK (current = 1)
)
"""
