-- Passkey Desk account store, version 28: used login challenges are keyed
-- by (expires_at, hash). A challenge's expiry is sealed inside it, so the
-- same challenge always comes with the same expiry and the pair is unique
-- exactly when the hash is; but new rows now land at the end of the one
-- B-tree (expiries grow with time) instead of at random places in two
-- (the hash key and the expiry index), and the sweep deletes from its
-- start.

CREATE TABLE used_challenges_by_expiry (
    expires_at INTEGER NOT NULL,
    hash       BLOB NOT NULL,
    PRIMARY KEY (expires_at, hash)
) WITHOUT ROWID;
INSERT INTO used_challenges_by_expiry (expires_at, hash) SELECT expires_at, hash FROM used_challenges;
DROP TABLE used_challenges;
ALTER TABLE used_challenges_by_expiry RENAME TO used_challenges;
