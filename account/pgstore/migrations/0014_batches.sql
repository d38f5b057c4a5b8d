-- Passkey Desk account store on PostgreSQL, version 14: the enrollment
-- station's batches, as the SQLite store's version 25. No PIN is stored
-- anywhere.

CREATE TABLE batches (
    id          TEXT PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX batches_operator ON batches (operator_id, created_at);

CREATE TABLE batch_entries (
    id                  TEXT PRIMARY KEY,
    batch_id            TEXT NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
    position            INTEGER NOT NULL,
    email               TEXT NOT NULL,
    display_name        TEXT NOT NULL,
    account_id          TEXT NOT NULL,
    state               TEXT NOT NULL CHECK (state IN ('pending', 'key-detected', 'enrolled', 'failed', 'skipped')),
    reason              TEXT NOT NULL,
    key_label           TEXT NOT NULL,
    aaguid              BYTEA,
    credential_short_id TEXT NOT NULL,
    passkey_id          TEXT NOT NULL,
    station             TEXT NOT NULL,
    at                  BIGINT NOT NULL,
    claimed_by          TEXT NOT NULL,
    claimed_until       BIGINT NOT NULL,
    UNIQUE (batch_id, position),
    UNIQUE (batch_id, email)
);
