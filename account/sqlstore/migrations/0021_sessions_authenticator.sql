-- Passkey Desk account store, version 21: sessions say which app made
-- them, from where, when they were last seen and which passkey signed
-- them in; a new authenticator secret waits for its first code.

ALTER TABLE sessions ADD COLUMN client TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN passkey_id TEXT NOT NULL DEFAULT '';
UPDATE sessions SET last_seen_at = created_at;

-- At most one per account; the secret is sealed as accounts.totp_secret
-- is, and good only with the grant (its hash) that began the change.
CREATE TABLE pending_totp (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    secret     BLOB NOT NULL,
    grant_hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
