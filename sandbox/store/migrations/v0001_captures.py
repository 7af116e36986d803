"""Version 1: captures and channel answer settings."""

SQL = """
CREATE TABLE captures (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    query_string TEXT NOT NULL,
    query_json TEXT NOT NULL,
    headers_json TEXT NOT NULL,
    body BLOB NOT NULL,
    decoded_body BLOB,
    form_json TEXT,
    json_body TEXT,
    body_note TEXT,
    content_type TEXT,
    content_encoding TEXT,
    remote_addr TEXT,
    received_at TEXT NOT NULL,
    body_size INTEGER NOT NULL,
    refused TEXT,
    response_status INTEGER NOT NULL,
    response_headers_json TEXT,
    response_body TEXT,
    verdict TEXT,
    verdict_detail_json TEXT,
    lint_json TEXT,
    click_id TEXT,
    event_name TEXT,
    transaction_id TEXT,
    device_id TEXT,
    revenue TEXT,
    currency TEXT
);
CREATE INDEX captures_channel ON captures (channel, id);
CREATE INDEX captures_click_id ON captures (click_id) WHERE click_id IS NOT NULL;
CREATE INDEX captures_event ON captures (event_name, channel)
    WHERE event_name IS NOT NULL;
CREATE INDEX captures_transaction ON captures (transaction_id)
    WHERE transaction_id IS NOT NULL;
CREATE INDEX captures_device ON captures (device_id) WHERE device_id IS NOT NULL;
CREATE INDEX captures_received ON captures (received_at);

CREATE TABLE channels (
    name TEXT PRIMARY KEY,
    answer_json TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    requests INTEGER NOT NULL DEFAULT 0
);
"""
