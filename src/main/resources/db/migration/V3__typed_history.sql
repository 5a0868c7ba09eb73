-- The history is a typed family (SagaEvent): its kinds are listed here, so an unknown kind cannot be stored.
ALTER TABLE saga_events ADD CONSTRAINT saga_events_kind_check CHECK (kind IN (
        'SUBMITTED', 'STARTED', 'RECLAIMED', 'WAITING_FOR_LOCK', 'LOCKS_GRANTED', 'STEP_STARTED',
        'COMPENSATION_STEP_STARTED', 'ACTION_CALLED', 'COMPENSATION_CALLED', 'STEP_RETRY_SCHEDULED',
        'COMPENSATION_RETRY_SCHEDULED', 'STEP_SUCCEEDED', 'STEP_FAILED', 'STEP_COMPENSATED',
        'COMPENSATION_NOT_NEEDED', 'COMPENSATION_FAILED', 'COMPENSATING', 'DEADLOCK_VICTIM', 'RESTARTED',
        'RESTART_LIMIT_REACHED', 'STUCK_RECOVERY_RETRY', 'STUCK_RECOVERY_COMPENSATE', 'COMPLETED',
        'COMPENSATED', 'FAILED', 'ABORT_REQUESTED', 'RETRY_REQUESTED'));

-- Why a saga turned to compensation, kept when it ends FAILED (reason COMPENSATION_FAILED), so that an operator's
-- retry compensates again for the reason it first did, without reading it back from the history.
ALTER TABLE sagas ADD COLUMN compensation_reason varchar(32);
UPDATE sagas s SET compensation_reason = coalesce(
        (SELECT e.detail ->> 'reason' FROM saga_events e WHERE e.saga_id = s.id AND e.kind = 'COMPENSATING'
         ORDER BY e.id DESC LIMIT 1), NULLIF(s.reason, 'COMPENSATION_FAILED'))
    WHERE s.status IN ('COMPENSATING', 'COMPENSATED', 'FAILED');
ALTER TABLE sagas ADD CONSTRAINT sagas_compensation_reason_check CHECK (compensation_reason IS NULL OR compensation_reason IN
        ('STEP_FAILED', 'DEADLOCK_VICTIM', 'LOCK_TIMEOUT', 'SAGA_TIMEOUT', 'OPERATOR_ABORT', 'STUCK_RECOVERY'));
