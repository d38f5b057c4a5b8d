-- Passkey Desk account store, version 17: a second device that tries a
-- phone enrollment link another holds is remembered (its device key's
-- hash and User-Agent), so the desktop can say so and let it take over;
-- tries and handovers count them.

ALTER TABLE phone_enrollments ADD COLUMN contender_hash BLOB;
ALTER TABLE phone_enrollments ADD COLUMN contender_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE phone_enrollments ADD COLUMN tries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE phone_enrollments ADD COLUMN handovers INTEGER NOT NULL DEFAULT 0;
