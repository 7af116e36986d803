"""Version 4: the live loop. Networks and campaigns configured at run time, clicks from the
click tracker, installs and events from the ingest API, channel forwarding (tee mode).

``device_ids`` maps every identifier an install came with (IDFA, GAID, AppsFlyer id, ...) to
the install, so events and device-id attribution find it through one index. Clicks carry the
device id the tracking link passed (if any) for device matching.
"""

SQL = """
CREATE TABLE live_networks (
    name TEXT PRIMARY KEY,
    spec_json TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE live_campaigns (
    name TEXT PRIMARY KEY,
    network TEXT NOT NULL,
    spec_json TEXT NOT NULL,
    redirect TEXT,
    updated_at TEXT NOT NULL
);
CREATE TABLE live_settings (
    name TEXT PRIMARY KEY,
    value_json TEXT NOT NULL
);

CREATE TABLE clicks (
    id INTEGER PRIMARY KEY,
    click_id TEXT NOT NULL UNIQUE,
    campaign TEXT NOT NULL,
    network TEXT NOT NULL,
    clicked_at TEXT NOT NULL,
    clicked_unix REAL NOT NULL,
    ip TEXT,
    user_agent TEXT,
    platform TEXT,
    device_id TEXT,
    hints_json TEXT NOT NULL DEFAULT '{}',
    params_json TEXT NOT NULL DEFAULT '{}',
    redirect TEXT
);
CREATE INDEX clicks_device ON clicks (device_id, clicked_unix) WHERE device_id IS NOT NULL;
CREATE INDEX clicks_time ON clicks (clicked_at);
CREATE INDEX clicks_network ON clicks (network, id);

CREATE TABLE installs (
    id INTEGER PRIMARY KEY,
    install_id TEXT NOT NULL UNIQUE,
    platform TEXT NOT NULL,
    att_status INTEGER,
    device_json TEXT NOT NULL,
    click_id TEXT,
    match_type TEXT NOT NULL,
    network TEXT,
    campaign TEXT,
    installed_at TEXT NOT NULL,
    installed_unix REAL NOT NULL,
    received_at TEXT NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX installs_click ON installs (click_id) WHERE click_id IS NOT NULL;
CREATE INDEX installs_time ON installs (installed_at);

CREATE TABLE device_ids (
    value TEXT NOT NULL,
    install_id TEXT NOT NULL,
    PRIMARY KEY (value, install_id)
);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    install_id TEXT,
    name TEXT NOT NULL,
    revenue REAL,
    currency TEXT,
    params_json TEXT NOT NULL DEFAULT '{}',
    event_at TEXT NOT NULL,
    event_unix REAL NOT NULL,
    received_at TEXT NOT NULL,
    source TEXT NOT NULL,
    dropped TEXT
);
CREATE INDEX events_install ON events (install_id, event_unix) WHERE install_id IS NOT NULL;

ALTER TABLE channels ADD COLUMN forward_json TEXT;
ALTER TABLE captures ADD COLUMN forward_json TEXT;
CREATE INDEX deliveries_install ON deliveries (install_id, kind) WHERE install_id IS NOT NULL
"""
