-- Passkey Desk account store, version 6: approvals become an ordinary
-- rowid table. An approved row carries the assertion (authenticator data,
-- client data, signature, public key): several hundred bytes. In a
-- WITHOUT ROWID table rows that large fill the b-tree's pages a few at a
-- time, and finding one approval by ID cost about 40 µs against 10 µs for
-- a rowid table with an index on the ID; writing one dirtied more pages.

CREATE TABLE approvals_v6 (
    id                 TEXT NOT NULL UNIQUE,
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
    state              TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'expired', 'refused')),
    created_at         INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL,
    decided_at         INTEGER NOT NULL,
    passkey_id         TEXT NOT NULL,
    credential_id      BLOB,
    public_key         BLOB,
    authenticator_data BLOB,
    client_data_json   BLOB,
    signature          BLOB
);

INSERT INTO approvals_v6 (id, account_id, api_key_id, kind, asset, amount, network, destination,
    counterparty, fee, reference, nonce, state, created_at, expires_at, decided_at, passkey_id,
    credential_id, public_key, authenticator_data, client_data_json, signature)
SELECT id, account_id, api_key_id, kind, asset, amount, network, destination,
    counterparty, fee, reference, nonce, state, created_at, expires_at, decided_at, passkey_id,
    credential_id, public_key, authenticator_data, client_data_json, signature
FROM approvals ORDER BY created_at, id;

DROP TABLE approvals;
ALTER TABLE approvals_v6 RENAME TO approvals;
CREATE INDEX approvals_account ON approvals (account_id, state, created_at);
