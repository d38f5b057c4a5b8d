-- Passkey Desk account store, version 8: a passkey added without another
-- passkey's word (with password and codes) is on its own hold until
-- held_until: it cannot approve withdrawals or C2C trades, and its word
-- spares no change the hold. 0 means not held. The account's hold keeps
-- the change that last started it (hold_cause, '' when not known).

ALTER TABLE passkeys ADD COLUMN held_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE account_policies ADD COLUMN hold_cause TEXT NOT NULL DEFAULT '';
