-- Passkey Desk account store, version 23: an owner's request to delete
-- the account, which a sign-in before deletes_at cancels and the sweep
-- carries out after it.

CREATE TABLE account_deletions (
    account_id   TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    requested_at INTEGER NOT NULL,
    deletes_at   INTEGER NOT NULL
);
CREATE INDEX account_deletions_due ON account_deletions (deletes_at);
