-- Passkey Desk account store, version 20: sessions found by their
-- account, to end every other session of an account (a password change).

CREATE INDEX sessions_account ON sessions (account_id);
