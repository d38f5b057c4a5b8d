-- Passkey Desk account store, version 22: a verified email and the
-- devices an account has signed in from.
--
-- email_states keeps, per account, the address a code proved (verified)
-- and the address a code was sent to and not yet confirmed (pending),
-- with only a MAC of that code, the wrong answers to it and the codes
-- sent in the current window (the "Send again" limit). An account with
-- no row has proved no address.
CREATE TABLE email_states (
    account_id      TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    verified        TEXT NOT NULL,
    pending         TEXT NOT NULL,
    code_hash       BLOB,
    code_expires_at INTEGER NOT NULL,
    failures        INTEGER NOT NULL,
    sends           INTEGER NOT NULL,
    sends_since     INTEGER NOT NULL
) WITHOUT ROWID;

-- known_devices: a hash of each device (app) the account signed in from,
-- so a sign-in from a new one is alerted.
CREATE TABLE known_devices (
    account_id    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    device_hash   BLOB NOT NULL,
    first_seen_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, device_hash)
) WITHOUT ROWID;
