package io.sagawarden.lock;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** The held locks and queued requests, as {@code GET /api/v1/locks} shows them. */
public record LockView(List<Held> held, List<Waiting> waiting) {

    public record Held(String resource, UUID sagaId, LockMode mode, Instant grantedAt, long fencingToken) {
    }

    /** {@code position} counts from 1 in the order the queue will be served (upgrades first). */
    public record Waiting(String resource, UUID sagaId, LockMode mode, boolean upgrade, Instant queuedAt,
                          int position, List<UUID> blockedBy) {
    }
}
