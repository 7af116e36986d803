"""Version 2: scenario runs, their deliveries, and every delivery attempt.

``deliveries.run_id`` is NULL for deliveries that belong to no run (the live ingest API also
delivers). Indexes serve the API's filters only (each one costs the hot insert path); ``kind``
has two values, so a filter on it rides on another index.
"""

SQL = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    scenario TEXT NOT NULL,
    source TEXT,
    seed INTEGER NOT NULL,
    mode TEXT NOT NULL,
    speed REAL,
    target_base TEXT,
    concurrency INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    state TEXT NOT NULL,
    summary_json TEXT NOT NULL DEFAULT '{}',
    expectations_json TEXT
);

CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    run_id INTEGER,
    postback_id TEXT NOT NULL,
    seq INTEGER,
    kind TEXT NOT NULL,
    network TEXT NOT NULL,
    campaign TEXT,
    event_name TEXT,
    click_id TEXT,
    install_id TEXT,
    event_id TEXT,
    method TEXT NOT NULL,
    url TEXT NOT NULL,
    headers_json TEXT NOT NULL,
    body BLOB,
    signing_json TEXT,
    scheduled_at TEXT,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_status INTEGER,
    last_error TEXT,
    last_latency_ms REAL,
    chaos TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    next_attempt_at TEXT
);
CREATE INDEX deliveries_run ON deliveries (run_id, id);
CREATE INDEX deliveries_network ON deliveries (network, id);
CREATE INDEX deliveries_state ON deliveries (state, id);
CREATE INDEX deliveries_event ON deliveries (event_name, id) WHERE event_name IS NOT NULL;
CREATE INDEX deliveries_click ON deliveries (click_id) WHERE click_id IS NOT NULL;

CREATE TABLE attempts (
    id INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL,
    number INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    status INTEGER,
    latency_ms REAL,
    error TEXT,
    response_headers_json TEXT,
    response_snippet BLOB
);
CREATE INDEX attempts_delivery ON attempts (delivery_id, number);
"""
