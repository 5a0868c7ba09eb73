package io.sagawarden.lock;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** The held locks and queued requests, as {@code GET /api/v1/locks} shows them. */
public record LockView(List<Held> held, List<Waiting> waiting) {

    public record Held(String resource, UUID sagaId, LockMode mode, Instant grantedAt, long fencingToken) {
    }

    /**
     * {@code position} counts from 1 in the order the queue will be served (upgrades first). {@code blockedBy} is at
     * most {@value #MAX_BLOCKERS_SHOWN} of the {@code blockedByCount} blockers: the conflicting holders, then the
     * conflicting requests ahead, nearest first; a long queue would otherwise make this view grow with its square.
     */
    public record Waiting(String resource, UUID sagaId, LockMode mode, boolean upgrade, Instant queuedAt,
                          int position, List<UUID> blockedBy, int blockedByCount) {
    }

    public static final int MAX_BLOCKERS_SHOWN = 10;
}
