-- Passkey Desk account store, version 15: phone sign-ins. A desktop that
-- is not signed in shows a one-time link; a phone that takes the code the
-- desktop shows and asserts with a passkey signs it in. The link's token
-- and the desktop's secret are stored only as SHA-256 hashes, the code
-- only as a MAC. Ended rows stay a day, then DeleteExpired removes them.

CREATE TABLE phone_signins (
    id          TEXT PRIMARY KEY,
    token_hash  BLOB NOT NULL UNIQUE,
    secret_hash BLOB NOT NULL,
    code_hash   BLOB NOT NULL,
    computer    TEXT NOT NULL,
    address     TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('waiting', 'opened', 'code-confirmed', 'approved', 'done', 'expired', 'canceled')),
    reason      TEXT NOT NULL,
    failures    INTEGER NOT NULL,
    challenge   TEXT NOT NULL,
    account_id  TEXT NOT NULL, -- "" until approved
    passkey_id  TEXT NOT NULL,
    restricted  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX phone_signins_expiry ON phone_signins (expires_at);
