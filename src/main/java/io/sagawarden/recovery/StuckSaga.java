package io.sagawarden.recovery;

import io.sagawarden.saga.SagaReason;
import io.sagawarden.saga.SagaStatus;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * What the monitor knows of a saga that has not moved for too long. {@code ownerAlive}: its lease is valid and
 * its node's heartbeat recent, both judged on the database clock, like every lease.
 */
public record StuckSaga(UUID id, String type, long version, SagaStatus status, SagaReason abortReason, int recoveryCount,
                        Instant progressAt, String leaseOwner, boolean ownerAlive, String step,
                        Integer compensationAttempts, String lastError, List<UUID> blockedBy) {
}
