package io.sagawarden.saga;

/** Why a saga compensates or ended other than COMPLETED. */
public enum SagaReason {
    STEP_FAILED, DEADLOCK_VICTIM, LOCK_TIMEOUT, SAGA_TIMEOUT, OPERATOR_ABORT, STUCK_RECOVERY, COMPENSATION_FAILED
}
