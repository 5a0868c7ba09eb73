package io.sagawarden.saga;

import io.sagawarden.lock.LockMode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The console's overview ({@code GET /api/v1/overview}), read in one snapshot at {@code at}. {@code counts} has every
 * status: the sagas in it now for those that have not ended and for FAILED (each waits for an operator), and for
 * COMPLETED and COMPENSATED those that ended since {@code recentSince}. The lists are bounded, longest wait or newest
 * first.
 */
public record OverviewView(Instant at, Instant recentSince, Map<SagaStatus, Long> counts, List<Waiting> waiting,
                           List<Ended> recentlyFailed, List<Ended> recentlyCompensated, List<Recovered> recovered) {

    /** A saga's queued lock request, with its place in the queue and its nearest blockers (as in /api/v1/locks). */
    public record Waiting(UUID sagaId, String type, int priority, String step, String resource, LockMode mode,
                          Instant since, Duration waited, int position, List<UUID> blockedBy, int blockedByCount) {
    }

    public record Ended(UUID sagaId, String type, int priority, SagaStatus status, SagaReason reason, Instant endedAt) {
    }

    /**
     * A saga the recovery monitor found stuck and recovered lately: its latest recovery ({@code kind}
     * STUCK_RECOVERY_RETRY or STUCK_RECOVERY_COMPENSATE, and its cause), how many there were since
     * {@code recentSince}, and where the saga is now.
     */
    public record Recovered(UUID sagaId, String type, SagaStatus status, SagaReason reason, Instant at, String kind,
                            String cause, int recoveries) {
    }
}
