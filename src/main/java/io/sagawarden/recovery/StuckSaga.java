package io.sagawarden.recovery;

import io.sagawarden.saga.SagaReason;
import io.sagawarden.saga.SagaStatus;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * What the monitor knows of an active saga. {@code quietSince}: when it last made progress or last had something
 * legitimate pending, whichever is later: a participant call's deadline, the time a scheduled retry is due, or
 * the expiry of a dead owner's lease. {@code ownerAlive}: its lease is valid and its node's heartbeat recent,
 * both judged on the database clock, like every lease. {@code failedMoves}: moves its nodes failed to make in a
 * row (errors of their own). {@code blockedBy}: for a WAITING saga, who stands in its way in its lock queue.
 */
public record StuckSaga(UUID id, String type, long version, SagaStatus status, SagaReason abortReason, int recoveryCount,
                        Instant progressAt, Instant quietSince, String leaseOwner, boolean ownerAlive, int failedMoves,
                        String step,
                        Integer compensationAttempts, String lastError, List<UUID> blockedBy) {

    StuckSaga withBlockers(List<UUID> blockers) {
        return new StuckSaga(id, type, version, status, abortReason, recoveryCount, progressAt, quietSince, leaseOwner,
                ownerAlive, failedMoves, step, compensationAttempts, lastError, List.copyOf(blockers));
    }
}
