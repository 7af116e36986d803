"""Version 3: verification per channel, replay look-ups, verdict filters, retention counters."""

SQL = """
ALTER TABLE captures ADD COLUMN replay_key TEXT;
CREATE INDEX captures_replay ON captures (replay_key, channel) WHERE replay_key IS NOT NULL;
CREATE INDEX captures_verdict ON captures (verdict, channel) WHERE verdict IS NOT NULL;
ALTER TABLE channels ADD COLUMN verification_json TEXT;
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL DEFAULT 0
);
"""
