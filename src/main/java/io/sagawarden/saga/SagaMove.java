package io.sagawarden.saga;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * One transition of a saga in a node's hands, as {@link SagaStore#saveMoves} writes it: guarded by the version the
 * node knows, its lease and the abort request it saw.
 *
 * @param progressed   the saga moved forward (a step succeeded or was compensated, it queued anew, ended, …)
 * @param callTimeout  set when the move begins a participant call: the call may take this long
 * @param retryAfter   set when the saga lets go and runs again after this delay (a retry, a restart's backoff,
 *                     the deadline of a waiting saga); a WAITING saga without it waits until it is woken
 * @param abortSeen    the abort request the move was decided with (null: none); one that arrived since refuses it
 * @param steps        the steps the move changed
 */
public record SagaMove(UUID id, String type, long version, String node, SagaStatus status, SagaReason reason,
                       int currentStep, boolean progressed, Duration callTimeout, Duration retryAfter,
                       boolean abortApplied, boolean restarted, SagaReason abortSeen, List<StoredSaga.Step> steps,
                       List<SagaEvent> events) {

    /** The saga leaves the node's hands: it ended, waits for a lock, or waits to run again. */
    boolean letsGo() {
        return status.isTerminal() || status == SagaStatus.WAITING || retryAfter != null;
    }

    /** A waiting saga without a deadline runs again only when a release wakes it. */
    boolean untilWoken() {
        return status == SagaStatus.WAITING && retryAfter == null;
    }
}
