-- Passkey Desk account store, version 5: an approval can end "refused",
-- when its answer signed other details than those stored or came from a
-- passkey that looks cloned. SQLite cannot change a CHECK constraint in
-- place, so the table is rebuilt with the same columns and rows.

CREATE TABLE approvals_v5 (
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
) WITHOUT ROWID;

INSERT INTO approvals_v5 (id, account_id, api_key_id, kind, asset, amount, network, destination,
    counterparty, fee, reference, nonce, state, created_at, expires_at, decided_at, passkey_id,
    credential_id, public_key, authenticator_data, client_data_json, signature)
SELECT id, account_id, api_key_id, kind, asset, amount, network, destination,
    counterparty, fee, reference, nonce, state, created_at, expires_at, decided_at, passkey_id,
    credential_id, public_key, authenticator_data, client_data_json, signature
FROM approvals;

DROP TABLE approvals;
ALTER TABLE approvals_v5 RENAME TO approvals;
CREATE INDEX approvals_account ON approvals (account_id, state, created_at);
