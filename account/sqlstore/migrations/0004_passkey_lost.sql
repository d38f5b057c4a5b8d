-- Passkey Desk account store, version 4: a passkey whose authenticator no
-- longer holds it (the security key was reset, or the passkey was deleted
-- from it) is marked lost, with when and why. 0 and '' mean not lost.

ALTER TABLE passkeys ADD COLUMN lost_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE passkeys ADD COLUMN lost_reason TEXT NOT NULL DEFAULT '';
