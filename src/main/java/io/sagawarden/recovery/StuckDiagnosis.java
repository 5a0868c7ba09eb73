package io.sagawarden.recovery;

import io.sagawarden.saga.SagaReason;
import io.sagawarden.saga.SagaStatus;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The rules of the stuck-saga monitor, in plain Java: which sagas are stuck, why, and what to do about them.
 *
 * <p>A saga is stuck only when nothing legitimate is pending. A running or compensating saga is stuck when it
 * has been quiet for longer than {@code stuck-after}: no progress, no participant call within its deadline, no
 * retry due, and no dead owner's lease about to expire, for that long. A waiting saga is never stuck for waiting
 * long: it is stuck only when a saga in its way is stuck (followed down the queue to the holder; the alert names
 * that holder, and recovery acts on the holder alone), or when the sagas wait on each other in a cycle that stayed
 * unbroken. A waiter that nothing blocks any more is about to run: its wake-up is in flight, and should it ever
 * be lost, the deadlock detector's sweep wakes it.
 *
 * <p>A stuck saga's step is retried (a silent or dead owner loses it) while its recovery count is below the
 * limit; then it is compensated with reason STUCK_RECOVERY; a saga still stuck after that is a failed recovery
 * for operators.
 */
public final class StuckDiagnosis {

    /** What the monitor does about a stuck saga; NONE when recovery acts on the holder in its way instead. */
    public enum Action { RETRY, COMPENSATE, GIVE_UP, NONE }

    /** {@code stuckHolder}: the stuck saga that keeps a blocked saga waiting, if that is the cause. */
    public record Verdict(StuckCause cause, Action action, boolean takeLease, String explanation, UUID stuckHolder) {
    }

    private final Map<UUID, StuckSaga> known;
    private final Instant quietBefore;
    private final int maxRecoveries;
    /** Per judged saga: empty when it is not stuck, else the stuck saga at the root of its wait (itself if none). */
    private final Map<UUID, Optional<Root>> judged = new HashMap<>();

    /** The stuck saga a wait comes down to; null {@code saga} for a cycle of waits. */
    private record Root(UUID saga) {
    }

    /**
     * @param known       every saga the monitor looked at, and the sagas in their way; a saga not known here counts
     *                    as progressing (it moved recently)
     * @param quietBefore now minus {@code stuck-after}
     */
    public StuckDiagnosis(Map<UUID, StuckSaga> known, Instant quietBefore, int maxRecoveries) {
        this.known = known;
        this.quietBefore = quietBefore;
        this.maxRecoveries = maxRecoveries;
    }

    /** The verdict on {@code id}: empty when it is not stuck. */
    public Optional<Verdict> diagnose(UUID id) {
        StuckSaga saga = known.get(id);
        Optional<Root> root = root(id, new HashSet<>());
        if (saga == null || root.isEmpty()) {
            return Optional.empty();
        }
        if (saga.status() != SagaStatus.WAITING) {
            return Optional.of(onItsOwn(saga));
        }
        UUID holder = root.get().saga();
        if (holder == null) {
            return Optional.of(withAction(saga, StuckCause.BLOCKED_ON_LOCK, false,
                    "it waits in a cycle of sagas that was not broken: " + saga.blockedBy(), null));
        }
        return Optional.of(new Verdict(StuckCause.BLOCKED_ON_LOCK, Action.NONE, false, "it waits for a lock, and saga "
                + holder + " in its way is stuck itself; recovery acts on that saga", holder));
    }

    /** Empty when the saga is not stuck; else what its wait comes down to. */
    private Optional<Root> root(UUID id, Set<UUID> visiting) {
        if (judged.containsKey(id)) {
            return judged.get(id);
        }
        StuckSaga saga = known.get(id);
        if (saga == null) {
            return Optional.empty();
        }
        Optional<Root> root;
        if (saga.status() != SagaStatus.WAITING) {
            root = saga.quietSince().isBefore(quietBefore) ? Optional.of(new Root(id)) : Optional.empty();
        } else if (!saga.progressAt().isBefore(quietBefore)) {
            root = Optional.empty();
        } else {
            visiting.add(id);
            root = Optional.empty();
            for (UUID blocker : saga.blockedBy()) {
                if (visiting.contains(blocker)) {
                    root = Optional.of(new Root(null));
                    break;
                }
                Optional<Root> below = root(blocker, visiting);
                if (below.isPresent()) {
                    root = below;
                    break;
                }
            }
            visiting.remove(id);
        }
        judged.put(id, root);
        return root;
    }

    private Verdict onItsOwn(StuckSaga saga) {
        boolean leased = saga.leaseOwner() != null;
        if (saga.failedMoves() > 0) {
            return withAction(saga, StuckCause.MOVE_FAILING, leased, "its nodes failed " + saga.failedMoves()
                    + " times in a row to make its next move at step " + saga.step() + " (see their logs)", null);
        }
        if (saga.status() == SagaStatus.COMPENSATING && saga.compensationAttempts() != null
                && saga.compensationAttempts() > 1) {
            return withAction(saga, StuckCause.COMPENSATION_FAILING, leased,
                    "the compensation of step " + saga.step() + " failed " + (saga.compensationAttempts() - 1)
                            + " times (last error: " + saga.lastError() + ")", null);
        }
        if (leased && saga.ownerAlive()) {
            return withAction(saga, StuckCause.PARTICIPANT_SILENT, leased, "node " + saga.leaseOwner()
                    + " is alive, but its call for step " + saga.step() + " is long past its deadline", null);
        }
        return withAction(saga, StuckCause.NO_OWNER, leased, leased
                ? "its node " + saga.leaseOwner() + " stopped renewing its lease" : "no node has taken it up", null);
    }

    /** A stuck saga's owner, if it has one, loses it, so that another node runs the step again. */
    private Verdict withAction(StuckSaga saga, StuckCause cause, boolean takeLease, String explanation, UUID holder) {
        Action action;
        if (saga.abortReason() == SagaReason.STUCK_RECOVERY
                || (saga.status() == SagaStatus.COMPENSATING && saga.recoveryCount() >= maxRecoveries)) {
            action = Action.GIVE_UP;
        } else if (saga.recoveryCount() < maxRecoveries) {
            action = Action.RETRY;
        } else {
            action = Action.COMPENSATE;
        }
        return new Verdict(cause, action, takeLease, explanation, holder);
    }
}
