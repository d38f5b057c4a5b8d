-- Passkey Desk account store, version 25: the enrollment station's
-- batches, each its operator's, and their people. A station claims an
-- entry until claimed_until; the batch log is made from these rows. No
-- PIN is stored anywhere.

CREATE TABLE batches (
    id          TEXT PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
) WITHOUT ROWID;
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
    aaguid              BLOB,
    credential_short_id TEXT NOT NULL,
    passkey_id          TEXT NOT NULL,
    station             TEXT NOT NULL,
    at                  INTEGER NOT NULL,
    claimed_by          TEXT NOT NULL,
    claimed_until       INTEGER NOT NULL,
    UNIQUE (batch_id, position),
    UNIQUE (batch_id, email)
) WITHOUT ROWID;
