-- Passkey Desk account store on PostgreSQL, version 1: the schema the
-- SQLite store reaches with its migrations 1 to 10 and 12, in one step.
-- Times are Unix nanoseconds (UTC), as in the SQLite store. Secrets are
-- stored only as hashes, or sealed (accounts.totp_secret).

CREATE TABLE accounts (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('user', 'admin')),
    password_hash TEXT NOT NULL,
    totp_secret   BYTEA NOT NULL,
    user_handle   BYTEA NOT NULL UNIQUE,
    active        BOOLEAN NOT NULL,
    created_at    BIGINT NOT NULL
);

-- in_flight counts the attempts being checked (they count as failures
-- until settled), lock_level the locks since the last success.
CREATE TABLE factor_states (
    account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    factor          TEXT NOT NULL,
    failures        INTEGER NOT NULL,
    locked_until    BIGINT NOT NULL,
    lock_level      INTEGER NOT NULL DEFAULT 0,
    in_flight       INTEGER NOT NULL DEFAULT 0,
    in_flight_at    BIGINT NOT NULL DEFAULT 0,
    last_failure_at BIGINT NOT NULL DEFAULT 0,
    last_step       BIGINT NOT NULL,
    PRIMARY KEY (account_id, factor)
);

-- The password state of an email that belongs to no active account, keyed
-- by an HMAC of the address; the address itself is never stored.
CREATE TABLE unknown_email_states (
    email_mac       BYTEA PRIMARY KEY,
    failures        INTEGER NOT NULL,
    locked_until    BIGINT NOT NULL,
    lock_level      INTEGER NOT NULL,
    in_flight       INTEGER NOT NULL,
    in_flight_at    BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL
);
CREATE INDEX unknown_email_states_last_failure ON unknown_email_states (last_failure_at);

CREATE TABLE sessions (
    hash       BYTEA PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    restricted BOOLEAN NOT NULL DEFAULT FALSE -- signed in with a passkey that looks cloned
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE verifications (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    session_hash    BYTEA NOT NULL,
    purpose         TEXT NOT NULL,
    factors         TEXT NOT NULL,
    email_code_hash BYTEA,
    expires_at      BIGINT NOT NULL
);

CREATE TABLE grants (
    hash       BYTEA PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    passkey_id TEXT NOT NULL DEFAULT ''
);

CREATE TABLE ceremonies (
    challenge  TEXT PRIMARY KEY,
    account_id TEXT REFERENCES accounts (id) ON DELETE CASCADE,
    type       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    session    BYTEA NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX ceremonies_expiry ON ceremonies (expires_at);

CREATE TABLE passkeys (
    credential_id   BYTEA PRIMARY KEY,
    id              TEXT NOT NULL, -- base64url(credential_id), for URLs and the UI
    account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    public_key      BYTEA NOT NULL,
    aaguid          BYTEA,
    model           TEXT NOT NULL,
    kind            TEXT NOT NULL,
    name            TEXT NOT NULL,
    transports      TEXT NOT NULL,
    backup_eligible BOOLEAN NOT NULL,
    backed_up       BOOLEAN NOT NULL,
    sign_count      BIGINT NOT NULL,
    clone_warning   BOOLEAN NOT NULL,
    created_at      BIGINT NOT NULL,
    last_used_at    BIGINT NOT NULL,
    last_used_for   TEXT NOT NULL,
    lost_at         BIGINT NOT NULL DEFAULT 0,
    lost_reason     TEXT NOT NULL DEFAULT '',
    held_until      BIGINT NOT NULL DEFAULT 0 -- added without another passkey's word: held until then
);
CREATE INDEX passkeys_account ON passkeys (account_id, created_at);

CREATE TABLE events (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    at         BIGINT NOT NULL,
    type       TEXT NOT NULL,
    detail     TEXT NOT NULL,
    source     TEXT NOT NULL
);
CREATE INDEX events_account ON events (account_id, id);

CREATE TABLE phone_enrollments (
    id           TEXT PRIMARY KEY,
    token_hash   BYTEA NOT NULL UNIQUE,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    session_hash BYTEA NOT NULL,
    grant_hash   BYTEA NOT NULL,
    code_hash    BYTEA, -- made when a phone opens the link
    state        TEXT NOT NULL CHECK (state IN ('waiting', 'opened', 'code-confirmed', 'passkey-created', 'done', 'expired', 'canceled')),
    reason       TEXT NOT NULL,
    failures     INTEGER NOT NULL,
    device_hash  BYTEA,
    user_agent   TEXT NOT NULL,
    challenge    TEXT NOT NULL,
    passkey_id   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX phone_enrollments_expiry ON phone_enrollments (expires_at);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    hash         BYTEA NOT NULL UNIQUE,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    hint         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    revoked_at   BIGINT NOT NULL
);
CREATE INDEX api_keys_account ON api_keys (account_id, created_at);

CREATE TABLE approvals (
    id                 TEXT PRIMARY KEY,
    account_id         TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    api_key_id         TEXT NOT NULL,
    kind               TEXT NOT NULL CHECK (kind IN ('withdrawal', 'deposit', 'c2c-trade', 'sign-in-elsewhere')),
    asset              TEXT NOT NULL,
    amount             TEXT NOT NULL,
    network            TEXT NOT NULL,
    destination        TEXT NOT NULL,
    counterparty       TEXT NOT NULL,
    fee                TEXT NOT NULL,
    reference          TEXT NOT NULL,
    nonce              BYTEA NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'expired', 'refused')),
    created_at         BIGINT NOT NULL,
    expires_at         BIGINT NOT NULL,
    decided_at         BIGINT NOT NULL,
    passkey_id         TEXT NOT NULL,
    credential_id      BYTEA,
    public_key         BYTEA,
    authenticator_data BYTEA,
    client_data_json   BYTEA,
    signature          BYTEA,
    reason             TEXT NOT NULL DEFAULT ''
);
CREATE INDEX approvals_account ON approvals (account_id, state, created_at);
CREATE INDEX approvals_api_key_pending ON approvals (api_key_id, state, expires_at);

CREATE TABLE account_policies (
    account_id       TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    passkey_required BOOLEAN NOT NULL,
    hold_until       BIGINT NOT NULL,
    hold_cause       TEXT NOT NULL DEFAULT ''
);

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
