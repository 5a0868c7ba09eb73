package io.sagawarden.lock;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * How the saga state machine asks for a step's locks: all of them at once, or it queues for them and waits.
 * Implemented at the edge by {@link LockManager}, inside the transaction of the move that asks.
 */
public interface LockGate {

    sealed interface Outcome permits Granted, Queued {
    }

    /** Every lock of the step is held now; {@code fencingTokens} are those of the new grants. */
    record Granted(Map<String, Long> fencingTokens) implements Outcome {
    }

    /**
     * The saga waits in the queue of {@code resource}, having been granted {@code fencingTokens} on the way;
     * {@code newly} when it was not queued there before.
     */
    record Queued(boolean newly, String resource, LockMode mode, Map<String, Long> fencingTokens) implements Outcome {
    }

    Outcome acquire(UUID saga, List<LockRequest> locks);

    /** Raised when a lock-manager step would have to wait for another transaction in a place that must not wait. */
    final class Busy extends RuntimeException {
        public Busy() {
            super("the lock manager is busy with these resources", null, false, false);
        }
    }
}
