-- Passkey Desk account store, version 3: service API keys, approvals of
-- sensitive operations, per-account security policy, and the passkey a
-- grant was verified with.
-- API keys are stored only as SHA-256 hashes. An approval keeps the
-- operation's details exactly as requested (the challenge is recomputed
-- from them), its nonce, and once approved the assertion's parts, so a
-- requester can verify the signature on its own.

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    hash         BLOB NOT NULL UNIQUE,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    hint         TEXT NOT NULL, -- the secret's first characters, to recognise it
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    revoked_at   INTEGER NOT NULL
) WITHOUT ROWID;
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
    nonce              BLOB NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'expired')),
    created_at         INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL,
    decided_at         INTEGER NOT NULL,
    passkey_id         TEXT NOT NULL,
    credential_id      BLOB,
    public_key         BLOB,
    authenticator_data BLOB,
    client_data_json   BLOB,
    signature          BLOB
) WITHOUT ROWID;
CREATE INDEX approvals_account ON approvals (account_id, state, created_at);

CREATE TABLE account_policies (
    account_id       TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    passkey_required INTEGER NOT NULL,
    hold_until       INTEGER NOT NULL
) WITHOUT ROWID;

ALTER TABLE grants ADD COLUMN passkey_id TEXT NOT NULL DEFAULT '';
