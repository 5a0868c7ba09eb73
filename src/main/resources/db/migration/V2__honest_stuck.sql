-- Until when the node that holds a saga may legitimately be busy with it (NULL when nothing is pending there): the
-- deadline of the participant call it began and has not recorded yet, or, right after a claim, the end of the
-- lease it claimed the saga under (its first move may follow in a transaction of its own). A saga is not stuck
-- while its node may still be at work on it.
ALTER TABLE sagas ADD COLUMN busy_until timestamptz;

-- Moves a node failed to make in a row (an error of its own, not a participant's), reset by every saved move.
-- The rest after such a failure is not something legitimately pending: a saga that keeps failing is stuck.
ALTER TABLE sagas ADD COLUMN failed_moves integer NOT NULL DEFAULT 0;
