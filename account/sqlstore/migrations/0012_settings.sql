-- Deployment-wide settings, one row each: the WebAuthn RP ID every passkey
-- of this database is bound to, and a check value of the TOTP sealing key.
CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
