-- Passkey Desk account store, version 2: phone enrollment sessions.
-- The link's token, the match code and the phone's device key are stored
-- only as SHA-256 hashes. Ended rows stay a day (so a reused link is told
-- it was used), then DeleteExpired removes them.

CREATE TABLE phone_enrollments (
    id           TEXT PRIMARY KEY,
    token_hash   BLOB NOT NULL UNIQUE,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    session_hash BLOB NOT NULL,
    grant_hash   BLOB NOT NULL,
    code_hash    BLOB NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('waiting', 'opened', 'code-confirmed', 'passkey-created', 'done', 'expired', 'canceled')),
    reason       TEXT NOT NULL,
    failures     INTEGER NOT NULL,
    device_hash  BLOB,
    user_agent   TEXT NOT NULL,
    challenge    TEXT NOT NULL,
    passkey_id   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX phone_enrollments_expiry ON phone_enrollments (expires_at);
