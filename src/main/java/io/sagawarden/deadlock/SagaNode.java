package io.sagawarden.deadlock;

import java.time.Instant;
import java.util.UUID;

/** What victim choice and reports need to know of a saga in the wait-for graph. */
public record SagaNode(UUID id, String type, int priority, Instant startedAt, boolean compensating,
                       boolean abortPending) {

    /** A compensating saga, or one already asked to abort, is leaving on its own and is never a victim. */
    public boolean mayBeVictim() {
        return !compensating && !abortPending;
    }
}
