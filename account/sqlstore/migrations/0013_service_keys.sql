-- Passkey Desk account store, version 13: server-wide service keys. The
-- operator's backend requests approvals for any account with one; they
-- belong to no account. Only the secret's SHA-256 hash is stored.

CREATE TABLE service_keys (
    id           TEXT PRIMARY KEY,
    hash         BLOB NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    scope        TEXT NOT NULL,
    hint         TEXT NOT NULL, -- the secret's first characters, to recognise it
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    revoked_at   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX service_keys_created ON service_keys (created_at);
