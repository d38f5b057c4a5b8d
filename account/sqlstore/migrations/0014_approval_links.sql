-- Passkey Desk account store, version 14: "approve on your phone" links.
-- A link lets the phone page decide one approval of one account; only the
-- link token's SHA-256 hash is stored, with the desktop session that made
-- it, the phone page that opened it first, how many answers it refused,
-- and when it was used.

CREATE TABLE approval_links (
    id           TEXT PRIMARY KEY,
    token_hash   BLOB NOT NULL UNIQUE,
    approval_id  TEXT NOT NULL REFERENCES approvals (id) ON DELETE CASCADE,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    session_hash BLOB NOT NULL,
    device_hash  BLOB, -- set when a phone opens the link
    failures     INTEGER NOT NULL, -- answers refused through it
    used_at      INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX approval_links_expiry ON approval_links (expires_at);
