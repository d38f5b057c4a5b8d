-- Passkey Desk account store, version 10: a session signed in with a
-- passkey that looks cloned (its sign counter did not advance) is
-- restricted: it may read, but make no security change, until another
-- factor confirms it. 0 means not restricted; the sessions of earlier
-- versions are not. Also an index for counting an API key's pending
-- approvals, which the service caps.

ALTER TABLE sessions ADD COLUMN restricted INTEGER NOT NULL DEFAULT 0;
CREATE INDEX approvals_api_key_pending ON approvals (api_key_id, state, expires_at);
