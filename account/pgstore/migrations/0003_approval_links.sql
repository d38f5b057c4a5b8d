-- "Approve on your phone" links. A link lets the phone page decide one
-- approval of one account; only the link token's SHA-256 hash is stored,
-- with the desktop session that made it, the phone page that opened it
-- first, how many answers it had refused, and when it was used.

CREATE TABLE approval_links (
    id           TEXT PRIMARY KEY,
    token_hash   BYTEA NOT NULL UNIQUE,
    approval_id  TEXT NOT NULL REFERENCES approvals (id) ON DELETE CASCADE,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    session_hash BYTEA NOT NULL,
    device_hash  BYTEA, -- set when a phone opens the link
    failures     INTEGER NOT NULL, -- answers refused through it
    used_at      BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX approval_links_expiry ON approval_links (expires_at);
