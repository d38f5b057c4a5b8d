-- Passkey Desk account store, version 9: attempts at a factor reserved
-- before they are checked, escalating locks, and the password state of
-- emails no account has.
-- factor_states: in_flight counts the attempts being checked (they count
-- as failures until settled; in_flight_at, when the last was reserved,
-- lets ones a stopped process left behind lapse), lock_level the locks
-- since the last success (each lasts longer), last_failure_at the last
-- wrong answer (a long quiet forgets failures and level). Times are Unix
-- nanoseconds, 0 for none.
-- unknown_email_states: the same for the password of an email that
-- belongs to no active account, keyed by an HMAC of the address under the
-- service's secret key; the address itself is never stored.

ALTER TABLE factor_states ADD COLUMN lock_level INTEGER NOT NULL DEFAULT 0;
ALTER TABLE factor_states ADD COLUMN in_flight INTEGER NOT NULL DEFAULT 0;
ALTER TABLE factor_states ADD COLUMN in_flight_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE factor_states ADD COLUMN last_failure_at INTEGER NOT NULL DEFAULT 0;

CREATE TABLE unknown_email_states (
    email_mac       BLOB PRIMARY KEY,
    failures        INTEGER NOT NULL,
    locked_until    INTEGER NOT NULL,
    lock_level      INTEGER NOT NULL,
    in_flight       INTEGER NOT NULL,
    in_flight_at    INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX unknown_email_states_last_failure ON unknown_email_states (last_failure_at);
