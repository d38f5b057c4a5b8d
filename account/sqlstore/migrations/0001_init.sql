-- Passkey Desk account store, version 1.
-- Times are Unix nanoseconds (UTC). Secrets are stored only as hashes, or
-- sealed (accounts.totp_secret). Tables keyed by a hash, a challenge or a
-- credential ID are WITHOUT ROWID: the key is the table, so a write touches
-- one b-tree instead of a table and its key index.

CREATE TABLE accounts (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('user', 'admin')),
    password_hash TEXT NOT NULL,
    totp_secret   BLOB NOT NULL,
    user_handle   BLOB NOT NULL UNIQUE,
    active        INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE factor_states (
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    factor       TEXT NOT NULL,
    failures     INTEGER NOT NULL,
    locked_until INTEGER NOT NULL,
    last_step    INTEGER NOT NULL,
    PRIMARY KEY (account_id, factor)
) WITHOUT ROWID;

CREATE TABLE sessions (
    hash       BLOB PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE verifications (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    session_hash    BLOB NOT NULL,
    purpose         TEXT NOT NULL,
    factors         TEXT NOT NULL,
    email_code_hash BLOB,
    expires_at      INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE grants (
    hash       BLOB PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE ceremonies (
    challenge  TEXT PRIMARY KEY,
    account_id TEXT REFERENCES accounts (id) ON DELETE CASCADE,
    type       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    session    BLOB NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE passkeys (
    credential_id   BLOB PRIMARY KEY,
    id              TEXT NOT NULL, -- base64url(credential_id), for URLs and the UI
    account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    public_key      BLOB NOT NULL,
    aaguid          BLOB,
    model           TEXT NOT NULL,
    kind            TEXT NOT NULL,
    name            TEXT NOT NULL,
    transports      TEXT NOT NULL,
    backup_eligible INTEGER NOT NULL,
    backed_up       INTEGER NOT NULL,
    sign_count      INTEGER NOT NULL,
    clone_warning   INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    last_used_at    INTEGER NOT NULL,
    last_used_for   TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX passkeys_account ON passkeys (account_id, created_at);

CREATE TABLE events (
    id         INTEGER PRIMARY KEY, -- rowid: events are never deleted, so ids only grow
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    type       TEXT NOT NULL,
    detail     TEXT NOT NULL,
    source     TEXT NOT NULL
);
CREATE INDEX events_account ON events (account_id, id);
