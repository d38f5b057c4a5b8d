-- Server-wide service keys: the operator's backend requests approvals for
-- any account with one; they belong to no account. Only the secret's
-- SHA-256 hash is stored.

CREATE TABLE service_keys (
    id           TEXT PRIMARY KEY,
    hash         BYTEA NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    scope        TEXT NOT NULL,
    hint         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    revoked_at   BIGINT NOT NULL
);
CREATE INDEX service_keys_created ON service_keys (created_at);
