package io.sagawarden.saga;

import io.sagawarden.lock.LockMode;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A saga's history: one record per kind, with its typed detail. The kinds are the {@code saga_events_kind_check}
 * of the schema, and {@link #detail()} is the JSON that API.md shows for each. Written by {@link SagaStore} only.
 */
public sealed interface SagaEvent {

    /** The stored kind, e.g. {@code STEP_SUCCEEDED}. */
    String kind();

    /** The step it is about, or null. */
    default String step() {
        return null;
    }

    /** The detail as stored; nulls are left out. */
    Map<String, Object> detail();

    /** Every kind there is, as the schema's CHECK lists them; each record names its kind from here. */
    enum Kind {
        SUBMITTED, STARTED, RECLAIMED, WAITING_FOR_LOCK, LOCKS_GRANTED,
        STEP_STARTED, COMPENSATION_STEP_STARTED, ACTION_CALLED, COMPENSATION_CALLED, STEP_RETRY_SCHEDULED,
        COMPENSATION_RETRY_SCHEDULED, STEP_SUCCEEDED, STEP_FAILED, STEP_COMPENSATED, COMPENSATION_NOT_NEEDED,
        COMPENSATION_FAILED, COMPENSATING, DEADLOCK_VICTIM, RESTARTED, RESTART_LIMIT_REACHED,
        STUCK_RECOVERY_RETRY, STUCK_RECOVERY_COMPENSATE, COMPLETED, COMPENSATED, FAILED,
        ABORT_REQUESTED, RETRY_REQUESTED, RERUN_SUBMITTED
    }

    /** Every kind there is, by name. */
    static String[] kinds() {
        return Arrays.stream(Kind.values()).map(Kind::name).toArray(String[]::new);
    }

    /** {@code rerunOf}: the saga this one is a copy of, run again by {@code by}; both null for a submission. */
    record Submitted(String submitter, String idempotencyKey, UUID rerunOf, String by) implements SagaEvent {
        public Submitted(String submitter, String idempotencyKey) {
            this(submitter, idempotencyKey, null, null);
        }

        public String kind() {
            return Kind.SUBMITTED.name();
        }

        public Map<String, Object> detail() {
            return details("submitter", submitter, "idempotencyKey", idempotencyKey,
                    "rerunOf", rerunOf == null ? null : rerunOf.toString(), "by", by);
        }
    }

    /** Claimed for the first time ({@code previousOwner} null) or taken over from a node whose lease expired. */
    record Claimed(String node, String previousOwner) implements SagaEvent {
        public String kind() {
            return previousOwner == null ? Kind.STARTED.name() : Kind.RECLAIMED.name();
        }

        public Map<String, Object> detail() {
            return details("node", node, "previousOwner", previousOwner);
        }
    }

    record WaitingForLock(String step, String resource, LockMode mode) implements SagaEvent {
        public String kind() {
            return Kind.WAITING_FOR_LOCK.name();
        }

        public Map<String, Object> detail() {
            return details("resource", resource, "mode", mode.name());
        }
    }

    /** {@code waited}: from the first queueing for the step's locks, when it had to wait. */
    record LocksGranted(String step, Map<String, Long> fencingTokens, Duration waited) implements SagaEvent {
        public String kind() {
            return Kind.LOCKS_GRANTED.name();
        }

        public Map<String, Object> detail() {
            return details("fencingTokens", fencingTokens, "waitedMs", waited == null ? null : waited.toMillis());
        }
    }

    /** An attempt of a step's action, or of its compensation, begins. */
    record CallStarted(String step, boolean compensation, int attempt) implements SagaEvent {
        public String kind() {
            return compensation ? Kind.COMPENSATION_STEP_STARTED.name() : Kind.STEP_STARTED.name();
        }

        public Map<String, Object> detail() {
            return details("attempt", attempt);
        }
    }

    /** A participant call returned or failed; {@code outcome} SUCCEEDED, RETRYABLE or PERMANENT. */
    record Called(String step, boolean compensation, int attempt, Integer status, Duration took, String outcome,
                  String error) implements SagaEvent {
        public String kind() {
            return compensation ? Kind.COMPENSATION_CALLED.name() : Kind.ACTION_CALLED.name();
        }

        public Map<String, Object> detail() {
            return details("attempt", attempt, "status", status, "durationMs", took.toMillis(), "outcome", outcome,
                    "error", error);
        }
    }

    record RetryScheduled(String step, boolean compensation, int attempt, Duration retryIn, String error)
            implements SagaEvent {
        public String kind() {
            return compensation ? Kind.COMPENSATION_RETRY_SCHEDULED.name() : Kind.STEP_RETRY_SCHEDULED.name();
        }

        public Map<String, Object> detail() {
            return details("attempt", attempt, "retryInMs", retryIn.toMillis(), "error", error);
        }
    }

    record StepSucceeded(String step, int attempt) implements SagaEvent {
        public String kind() {
            return Kind.STEP_SUCCEEDED.name();
        }

        public Map<String, Object> detail() {
            return details("attempt", attempt);
        }
    }

    record StepFailed(String step, int attempt, String error, boolean mayHaveTakenEffect) implements SagaEvent {
        public String kind() {
            return Kind.STEP_FAILED.name();
        }

        public Map<String, Object> detail() {
            return details("attempt", attempt, "error", error, "mayHaveTakenEffect", mayHaveTakenEffect);
        }
    }

    /** {@code reason}: why the saga compensated; it stays in the event although a restarted saga clears it. */
    record StepCompensated(String step, int attempt, SagaReason reason) implements SagaEvent {
        public String kind() {
            return Kind.STEP_COMPENSATED.name();
        }

        public Map<String, Object> detail() {
            return details("attempt", attempt, "reason", reason.name());
        }
    }

    record CompensationNotNeeded(String step, String why) implements SagaEvent {
        public String kind() {
            return Kind.COMPENSATION_NOT_NEEDED.name();
        }

        public Map<String, Object> detail() {
            return details("why", why);
        }
    }

    record CompensationFailed(String step, int attempts, String error) implements SagaEvent {
        public String kind() {
            return Kind.COMPENSATION_FAILED.name();
        }

        public Map<String, Object> detail() {
            return details("attempts", attempts, "error", error);
        }
    }

    record Compensating(SagaReason reason) implements SagaEvent {
        public String kind() {
            return Kind.COMPENSATING.name();
        }

        public Map<String, Object> detail() {
            return details("reason", reason.name());
        }
    }

    record DeadlockVictim(UUID deadlockId, String why) implements SagaEvent {
        public String kind() {
            return Kind.DEADLOCK_VICTIM.name();
        }

        public Map<String, Object> detail() {
            return details("deadlockId", deadlockId.toString(), "why", why);
        }
    }

    record Restarted(SagaReason after, int run, Duration delay) implements SagaEvent {
        public String kind() {
            return Kind.RESTARTED.name();
        }

        public Map<String, Object> detail() {
            return details("after", after.name(), "run", run, "delayMs", delay.toMillis());
        }
    }

    record RestartLimitReached(int restarts, int maxRestarts) implements SagaEvent {
        public String kind() {
            return Kind.RESTART_LIMIT_REACHED.name();
        }

        public Map<String, Object> detail() {
            return details("restarts", restarts, "maxRestarts", maxRestarts);
        }
    }

    /** The recovery monitor made a stuck saga run its step again ({@code compensate} false) or compensate. */
    record StuckRecovery(String step, boolean compensate, String cause, int recovery) implements SagaEvent {
        public String kind() {
            return compensate ? Kind.STUCK_RECOVERY_COMPENSATE.name() : Kind.STUCK_RECOVERY_RETRY.name();
        }

        public Map<String, Object> detail() {
            return details("cause", cause, "recovery", recovery);
        }
    }

    /** The saga reached {@code status} (COMPLETED, COMPENSATED or FAILED) after running for {@code took}. */
    record Ended(SagaStatus status, SagaReason reason, Duration took) implements SagaEvent {
        public String kind() {
            return status.name();
        }

        public Map<String, Object> detail() {
            return details("reason", reason == null ? null : reason.name(), "durationMs",
                    took == null ? null : took.toMillis());
        }
    }

    record AbortRequested(SagaReason reason, String by) implements SagaEvent {
        public String kind() {
            return Kind.ABORT_REQUESTED.name();
        }

        public Map<String, Object> detail() {
            return details("reason", reason.name(), "by", by);
        }
    }

    record RetryRequested(String by) implements SagaEvent {
        public String kind() {
            return Kind.RETRY_REQUESTED.name();
        }

        public Map<String, Object> detail() {
            return details("by", by);
        }
    }

    /**
     * An ended saga was run again as the new saga {@code sagaId}, by {@code by}; {@code idempotencyKey} is the rerun
     * request's, which makes a retried rerun find that saga again.
     */
    record RerunSubmitted(UUID sagaId, String by, String idempotencyKey) implements SagaEvent {
        public String kind() {
            return Kind.RERUN_SUBMITTED.name();
        }

        public Map<String, Object> detail() {
            return details("sagaId", sagaId.toString(), "by", by, "idempotencyKey", idempotencyKey);
        }
    }

    /** Name-value pairs in order, without the nulls. */
    private static Map<String, Object> details(Object... pairs) {
        Map<String, Object> detail = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            if (pairs[i + 1] != null) {
                detail.put((String) pairs[i], pairs[i + 1]);
            }
        }
        return detail;
    }
}
