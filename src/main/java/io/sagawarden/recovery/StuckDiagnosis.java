package io.sagawarden.recovery;

import io.sagawarden.saga.SagaReason;
import io.sagawarden.saga.SagaStatus;

/**
 * The rules of the stuck-saga monitor, in plain Java: why a saga is stuck, and what to do about it. A stuck
 * saga's step is retried (its owner, if any, loses it) while its recovery count is below the limit; then it
 * is compensated with reason STUCK_RECOVERY; a saga still stuck after that is a failed recovery for operators.
 */
public final class StuckDiagnosis {

    /** What the monitor does about a stuck saga. */
    public enum Action { RETRY, COMPENSATE, GIVE_UP }

    public record Verdict(StuckCause cause, Action action, boolean takeLease, String explanation) {
    }

    private StuckDiagnosis() {
    }

    public static Verdict diagnose(StuckSaga saga, int maxRecoveries) {
        boolean leased = saga.leaseOwner() != null;
        boolean ownerAlive = leased && saga.ownerAlive();
        StuckCause cause;
        String explanation;
        if (saga.status() == SagaStatus.WAITING) {
            cause = StuckCause.BLOCKED_ON_LOCK;
            explanation = "waits for a lock held or requested ahead of it by " + saga.blockedBy();
        } else if (saga.status() == SagaStatus.COMPENSATING && saga.compensationAttempts() != null
                && saga.compensationAttempts() > 1) {
            cause = StuckCause.COMPENSATION_FAILING;
            explanation = "the compensation of step " + saga.step() + " failed " + (saga.compensationAttempts() - 1)
                    + " times (last error: " + saga.lastError() + ")";
        } else if (ownerAlive) {
            cause = StuckCause.PARTICIPANT_SILENT;
            explanation = "node " + saga.leaseOwner() + " is alive but its call for step " + saga.step()
                    + " has not come back";
        } else {
            cause = StuckCause.NO_OWNER;
            explanation = leased ? "its node " + saga.leaseOwner() + " stopped renewing its lease"
                    : "no node has taken it up";
        }
        // A silent or dead owner loses the saga, so that another node runs the step again.
        boolean takeLease = leased && (cause == StuckCause.PARTICIPANT_SILENT || cause == StuckCause.NO_OWNER);
        Action action;
        if (saga.abortReason() == SagaReason.STUCK_RECOVERY
                || (saga.status() == SagaStatus.COMPENSATING && saga.recoveryCount() >= maxRecoveries)) {
            action = Action.GIVE_UP;
        } else if (saga.recoveryCount() < maxRecoveries) {
            action = Action.RETRY;
        } else {
            action = Action.COMPENSATE;
        }
        return new Verdict(cause, action, takeLease, explanation);
    }
}
