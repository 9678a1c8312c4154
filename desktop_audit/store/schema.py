"""Schema migrations, applied in order; ``PRAGMA user_version`` holds the version reached."""

from __future__ import annotations

APPLICATION_ID = 0x44415544  # "DAUD": marks a desktop-audit database

_V1 = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE scans (
    id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    home TEXT NOT NULL,
    roots TEXT NOT NULL,            -- JSON list of absolute paths
    groups TEXT NOT NULL,           -- JSON list of source groups scanned
    status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'cancelled', 'failed')),
    stats TEXT NOT NULL DEFAULT '{}',
    profile_sha256 TEXT,
    ruleset_digest TEXT NOT NULL,
    tool_version TEXT NOT NULL
) STRICT;

CREATE TABLE scan_errors (
    id INTEGER PRIMARY KEY,
    scan_id TEXT NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    path TEXT,
    message TEXT NOT NULL
) STRICT;
CREATE INDEX scan_errors_scan ON scan_errors(scan_id);

CREATE TABLE findings (
    id TEXT PRIMARY KEY,            -- HMAC(installation key, rule id + secret)
    kind TEXT NOT NULL CHECK (kind IN ('credential', 'endpoint')),
    rule_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    title TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
    status TEXT NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'revoked', 'removed', 'false_positive', 'accepted')),
    redacted TEXT NOT NULL,
    match_hash TEXT NOT NULL,
    guide TEXT NOT NULL,
    first_seen_scan TEXT NOT NULL REFERENCES scans(id),
    last_seen_scan TEXT NOT NULL REFERENCES scans(id),
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    present INTEGER NOT NULL DEFAULT 1 CHECK (present IN (0, 1))
) STRICT;
CREATE INDEX findings_status ON findings(status);
CREATE INDEX findings_severity ON findings(severity);

CREATE TABLE locations (
    id INTEGER PRIMARY KEY,
    finding_id TEXT NOT NULL REFERENCES findings(id) ON DELETE CASCADE,
    identity TEXT NOT NULL UNIQUE,  -- sha256 of the location fields and the finding id
    source TEXT NOT NULL,
    path TEXT,
    line INTEGER,
    git_commit TEXT,
    ref TEXT,
    keychain_item TEXT,
    home TEXT NOT NULL,             -- the home of the scan that saw it (scope of absence)
    context BLOB,                   -- AES-GCM ciphertext, redacted context
    first_seen_scan TEXT NOT NULL REFERENCES scans(id),
    last_seen_scan TEXT NOT NULL REFERENCES scans(id),
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    present INTEGER NOT NULL DEFAULT 1 CHECK (present IN (0, 1))
) STRICT;
CREATE INDEX locations_finding ON locations(finding_id);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    finding_id TEXT NOT NULL REFERENCES findings(id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('open', 'revoked', 'removed', 'false_positive', 'accepted')),
    actor TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    scan_id TEXT REFERENCES scans(id)
) STRICT;
CREATE INDEX events_finding ON events(finding_id);
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
WHEN (SELECT COUNT(*) FROM findings WHERE id = OLD.finding_id) > 0
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

CREATE TABLE checklist_answers (
    id INTEGER PRIMARY KEY,
    item_id TEXT NOT NULL,
    done INTEGER NOT NULL CHECK (done IN (0, 1)),
    note TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL,
    actor TEXT NOT NULL
) STRICT;
CREATE INDEX checklist_item ON checklist_answers(item_id);

CREATE TABLE attestations (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    path TEXT,
    sha256 TEXT NOT NULL,
    signer_fingerprint TEXT NOT NULL
) STRICT;
"""

# Version 2: local clean-up actions (remediation) and their encrypted backups.
_V2 = """
CREATE TABLE actions (
    id TEXT PRIMARY KEY,
    finding_id TEXT NOT NULL REFERENCES findings(id) ON DELETE CASCADE,
    location_id INTEGER REFERENCES locations(id) ON DELETE SET NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('done', 'undone')),
    summary TEXT NOT NULL,          -- redacted, for people
    details TEXT NOT NULL DEFAULT '{}',  -- JSON, no secret (paths, modes, digests)
    backup_path TEXT,
    backup_shredded_at TEXT,
    created_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    undone_at TEXT,
    undone_by TEXT
) STRICT;
CREATE INDEX actions_finding ON actions(finding_id);
"""

# Each entry brings the database from version i to i + 1. Append only; never edit a shipped one.
_V3 = """
ALTER TABLE scans ADD COLUMN coverage TEXT NOT NULL DEFAULT '[]';  -- per-repository records
"""

_V4 = """
CREATE TABLE reuse (
    unit BLOB PRIMARY KEY,          -- BLAKE2b-128 of a unit name (file version, git object id)
    digest TEXT NOT NULL,           -- detection digest (rules, profile, version) it was read with
    hits BLOB                       -- its hits, no raw secret (context is ciphertext); NULL: none
) STRICT, WITHOUT ROWID;
"""

# Version 5: the unit a location was seen as part of (a repository's history), so a rescan
# that finds the unit unchanged carries its locations over without writing each one.
_V5 = """
ALTER TABLE locations ADD COLUMN unit TEXT;
CREATE INDEX locations_unit ON locations(unit) WHERE unit IS NOT NULL;
"""
MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3, _V4, _V5)
SCHEMA_VERSION = len(MIGRATIONS)
