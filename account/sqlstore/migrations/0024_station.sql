-- Passkey Desk account store, version 24: the enrollment station.
-- (A session made by passkey sign-in records its passkey: version 21.)
-- A passkey enrolled on its owner's behalf is issued until
-- its owner first signs in with it, and says who enrolled it and on which
-- station (when: created_at). An invited account awaits its owner's first
-- sign-in and setup. A station's registration is kept until it expires,
-- finished or not, so a failed finish can be retried and a repeated one
-- recognised. No PIN is stored anywhere.

ALTER TABLE passkeys ADD COLUMN issued INTEGER NOT NULL DEFAULT 0;
ALTER TABLE passkeys ADD COLUMN enrolled_by_id TEXT NOT NULL DEFAULT '';
ALTER TABLE passkeys ADD COLUMN enrolled_by TEXT NOT NULL DEFAULT '';
ALTER TABLE passkeys ADD COLUMN station TEXT NOT NULL DEFAULT '';

CREATE TABLE invitations (
    account_id   TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    operator_id  TEXT NOT NULL,
    station      TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    signed_in_at INTEGER NOT NULL,
    done_at      INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE station_ceremonies (
    challenge     TEXT PRIMARY KEY,
    operator_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    account_id    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    station       TEXT NOT NULL,
    batch_id      TEXT NOT NULL,
    entry_id      TEXT NOT NULL,
    session       BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    credential_id BLOB,
    passkey_id    TEXT NOT NULL,
    finished_at   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX station_ceremonies_expiry ON station_ceremonies (expires_at);
