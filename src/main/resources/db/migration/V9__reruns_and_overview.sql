-- An ended saga can be run again as a new saga; its history records that (RERUN_SUBMITTED), as the new saga's
-- SUBMITTED records what it is a copy of. The new CHECK only widens the old one, which every stored row passed, so
-- it is not validated against them: a scan of the whole history would hold the table's lock for as long as it took.
ALTER TABLE saga_events DROP CONSTRAINT saga_events_kind_check;
ALTER TABLE saga_events ADD CONSTRAINT saga_events_kind_check CHECK (kind IN (
        'SUBMITTED', 'STARTED', 'RECLAIMED', 'WAITING_FOR_LOCK', 'LOCKS_GRANTED', 'STEP_STARTED',
        'COMPENSATION_STEP_STARTED', 'ACTION_CALLED', 'COMPENSATION_CALLED', 'STEP_RETRY_SCHEDULED',
        'COMPENSATION_RETRY_SCHEDULED', 'STEP_SUCCEEDED', 'STEP_FAILED', 'STEP_COMPENSATED',
        'COMPENSATION_NOT_NEEDED', 'COMPENSATION_FAILED', 'COMPENSATING', 'DEADLOCK_VICTIM', 'RESTARTED',
        'RESTART_LIMIT_REACHED', 'STUCK_RECOVERY_RETRY', 'STUCK_RECOVERY_COMPENSATE', 'COMPLETED',
        'COMPENSATED', 'FAILED', 'ABORT_REQUESTED', 'RETRY_REQUESTED', 'RERUN_SUBMITTED')) NOT VALID;

-- The console's overview counts the sagas that ended in the last day by status and lists the latest that ended
-- COMPENSATED or FAILED: an index-only range of this index, however many sagas retention keeps. A saga's row enters
-- it once, when it ends; status and ended_at are indexed already, so moves stay HOT updates as before.
CREATE INDEX sagas_ended_status_idx ON sagas (status, ended_at) WHERE ended_at IS NOT NULL;

-- ... and lists the sagas the recovery monitor recovered lately: a few events among millions.
CREATE INDEX saga_events_recovery_idx ON saga_events (at)
    WHERE kind IN ('STUCK_RECOVERY_RETRY', 'STUCK_RECOVERY_COMPENSATE');
