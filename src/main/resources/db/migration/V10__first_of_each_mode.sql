-- A saga asking for a lock reads, of the others queued there, only the first request of each mode (upgrade or not):
-- this index finds each in one descent, so asking costs the same behind ten waiting sagas or a hundred thousand.
CREATE INDEX lock_waits_first_idx ON lock_waits (resource, mode, upgrade, seq);
