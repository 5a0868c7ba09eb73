-- A saga's move rewrites its row and its step's row. PostgreSQL can do that in place (a HOT update: no new index
-- entries, little WAL) only when no indexed column changes and the page has room. progress_at changes with every
-- move, so the active-saga index no longer holds it (the recovery monitor filters it on the active rows), and both
-- tables leave room on each page for the next version of their rows.
DROP INDEX sagas_active_idx;
CREATE INDEX sagas_active_idx ON sagas (status) WHERE ended_at IS NULL;
ALTER TABLE sagas SET (fillfactor = 70);
ALTER TABLE saga_steps SET (fillfactor = 70);
