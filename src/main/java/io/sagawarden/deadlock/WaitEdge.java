package io.sagawarden.deadlock;

import io.sagawarden.lock.LockMode;
import io.sagawarden.lock.LockQueue;
import java.time.Instant;
import java.util.UUID;

/**
 * An edge of the wait-for graph: {@code waiter} waits for {@code requestedMode} on {@code resource} because
 * {@code holder} holds it in {@code heldMode} (HARD) or asked for it in {@code heldMode} ahead of it (SOFT).
 */
public record WaitEdge(UUID waiter, UUID holder, String resource, LockMode requestedMode, LockMode heldMode,
                       LockQueue.Kind kind, Instant waitingSince) {
}
