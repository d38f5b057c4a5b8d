-- Passkey Desk account store on PostgreSQL, version 13: the enrollment
-- station, as the SQLite store's version 24 (a session made by passkey
-- sign-in records its passkey: version 10); a passkey
-- enrolled on its owner's behalf is issued until its owner first signs in
-- with it, and says who enrolled it and on which station; an invited
-- account awaits its owner's first sign-in and setup; a station's
-- registration is kept until it expires, so a failed finish can be
-- retried and a repeated one recognised. No PIN is stored anywhere.

ALTER TABLE passkeys ADD COLUMN issued BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE passkeys ADD COLUMN enrolled_by_id TEXT NOT NULL DEFAULT '';
ALTER TABLE passkeys ADD COLUMN enrolled_by TEXT NOT NULL DEFAULT '';
ALTER TABLE passkeys ADD COLUMN station TEXT NOT NULL DEFAULT '';

CREATE TABLE invitations (
    account_id   TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    operator_id  TEXT NOT NULL,
    station      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    signed_in_at BIGINT NOT NULL,
    done_at      BIGINT NOT NULL
);

CREATE TABLE station_ceremonies (
    challenge     TEXT PRIMARY KEY,
    operator_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    account_id    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    station       TEXT NOT NULL,
    batch_id      TEXT NOT NULL,
    entry_id      TEXT NOT NULL,
    session       BYTEA NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    credential_id BYTEA,
    passkey_id    TEXT NOT NULL,
    finished_at   BIGINT NOT NULL
);
CREATE INDEX station_ceremonies_expiry ON station_ceremonies (expires_at);
