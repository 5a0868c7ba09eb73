package io.sagawarden.recovery;

/** Why a saga stopped moving, as far as the orchestrator can tell. */
public enum StuckCause {
    /** It waits for a lock another saga holds (or is queued for ahead of it). */
    BLOCKED_ON_LOCK,
    /** Its node is alive and its participant call has not come back. */
    PARTICIPANT_SILENT,
    /** It compensates, and the compensation keeps failing. */
    COMPENSATION_FAILING,
    /** Nobody works on it: no lease, or the lease of a node that stopped. */
    NO_OWNER
}
