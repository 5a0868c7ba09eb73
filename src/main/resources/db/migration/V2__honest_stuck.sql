-- The deadline of the participant call a saga has begun and not yet recorded (NULL when none is in flight):
-- a saga is not stuck while its call may legitimately still answer.
ALTER TABLE sagas ADD COLUMN call_deadline timestamptz;

-- Moves a node failed to make in a row (an error of its own, not a participant's), reset by every saved move.
-- The rest after such a failure is not something legitimately pending: a saga that keeps failing is stuck.
ALTER TABLE sagas ADD COLUMN failed_moves integer NOT NULL DEFAULT 0;
