-- Used login challenges. A login's ceremony travels sealed in its
-- challenge instead of a ceremonies row; the SHA-256 hash of each
-- challenge answered is kept here until a while after the challenge
-- expires, so it is answered at most once, whichever instance gets it.

CREATE TABLE used_challenges (
    hash       BYTEA PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX used_challenges_expiry ON used_challenges (expires_at);
