package io.sagawarden.recovery;

/** Why a saga stopped moving, as far as the orchestrator can tell. */
public enum StuckCause {
    /**
     * It waits for a lock, and a saga in its way (holding the lock, or queued ahead of it) is stuck itself, or
     * the sagas wait on each other in a cycle that stayed unbroken.
     */
    BLOCKED_ON_LOCK,
    /** Its node is alive and holds it, but its participant call is long past its deadline. */
    PARTICIPANT_SILENT,
    /** Its nodes keep failing to make its next move (an error of their own, in their logs). */
    MOVE_FAILING,
    /** It compensates, and the compensation keeps failing. */
    COMPENSATION_FAILING,
    /** Nobody works on it: no lease, or the lease of a node that stopped. */
    NO_OWNER
}
