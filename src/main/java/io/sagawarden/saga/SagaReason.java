package io.sagawarden.saga;

/** Why a saga compensates or ended other than COMPLETED. */
public enum SagaReason {
    STEP_FAILED, DEADLOCK_VICTIM, LOCK_TIMEOUT, SAGA_TIMEOUT, OPERATOR_ABORT, STUCK_RECOVERY, COMPENSATION_FAILED;

    /** The stored reason, or null where none is stored. */
    public static SagaReason ofNullable(String stored) {
        return stored == null ? null : valueOf(stored);
    }
}
