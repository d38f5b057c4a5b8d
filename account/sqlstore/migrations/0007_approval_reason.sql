-- Passkey Desk account store, version 7: why an approval was refused
-- (the details it signed were not those stored, or the passkey looks
-- cloned), for the requester to read; empty otherwise.

ALTER TABLE approvals ADD COLUMN reason TEXT NOT NULL DEFAULT '';
