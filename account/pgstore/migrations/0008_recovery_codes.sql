-- Recovery codes. Each account has at most one set; a new set replaces the
-- old one. Only a MAC of each code is stored (HMAC-SHA-256 under a key
-- derived from the service's secret key), never the code.

CREATE TABLE recovery_codes (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    hash       BYTEA NOT NULL,
    created_at BIGINT NOT NULL, -- when the set was made
    used_at    BIGINT NOT NULL, -- 0 while unused
    PRIMARY KEY (account_id, hash)
);
