package io.sagawarden.execution;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.sagawarden.db.Sql;
import io.sagawarden.lock.LockGate;
import io.sagawarden.lock.LockManager;
import io.sagawarden.saga.SagaMove;
import io.sagawarden.saga.SagaStore;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * The engine's transactions: a claim and the first moves of the sagas claimed; each later move of a saga in hand,
 * guarded by its version and lease; leases. The saga rows are the saga store's and the lock tables the lock
 * manager's; this class says in which order they are touched and in which transaction.
 */
@ApplicationScoped
public class ExecutionStore {

    private static final Logger LOG = Logger.getLogger(ExecutionStore.class);
    /** How long a saga rests after a node failed to make its move, so a bad saga cannot spin. */
    public static final Duration AFTER_FAILED_MOVE = Duration.ofSeconds(5);

    /** The lock gate of a saga none of whose steps declares a lock: the state machine never asks it. */
    private static final LockGate NO_LOCKS = (saga, locks) -> {
        throw new IllegalStateException("saga " + saga + " declares no locks, yet asked for " + locks);
    };

    private final SagaStore sagas;
    private final LockManager locks;
    private final MoveWriter writer;
    private final Sql sql;

    public ExecutionStore(SagaStore sagas, LockManager locks, MoveWriter writer, Sql sql) {
        this.sagas = sagas;
        this.locks = locks;
        this.writer = writer;
        this.sql = sql;
    }

    /** The first move of a saga, or one that follows a call; it may ask the lock manager for the step's locks. */
    @FunctionalInterface
    public interface Move<T> {
        T apply(SagaRun run, LockGate locks);
    }

    /**
     * A claimed saga and the call its first move asks for, if any. A saga whose first move found its resources
     * busy in the lock manager comes with no run: it makes that move in a transaction of its own.
     */
    public record Started(UUID id, SagaRun run, Optional<PlannedCall> next) {
        public boolean deferred() {
            return run == null;
        }
    }

    /**
     * Claims up to {@code limit} due sagas, highest priority first, and makes each one's first move, all in one
     * transaction. A saga whose lease expired is due too: that is how the sagas of a dead node are recovered.
     */
    public List<Started> claim(String node, Duration lease, int limit, Move<Optional<PlannedCall>> start) {
        return QuarkusTransaction.requiringNew().call(() -> {
            sql.reusePlans();
            return firstMoves(sagas.claim(node, lease, limit), node, start);
        });
    }

    /**
     * Claims a saga in the transaction that submits it and makes its first move there, so it starts as that commits:
     * one commit and one wake-up less than a claim of its own. Under a savepoint: should any of it fail, the
     * submission still commits, with the saga PENDING for a claim as usual. Empty then.
     */
    public Optional<Started> startSubmitted(UUID id, String node, Duration lease, Move<Optional<PlannedCall>> start) {
        sql.update("SAVEPOINT start_submitted");
        try {
            sql.reusePlans();
            Optional<Started> started = firstMoves(sagas.claimSubmitted(id, node, lease).stream().toList(), node, start)
                    .stream().findFirst();
            sql.update("RELEASE SAVEPOINT start_submitted");
            return started;
        } catch (RuntimeException e) {
            sql.update("ROLLBACK TO SAVEPOINT start_submitted");
            LOG.warnf("Saga %s could not be started with its submission (%s); it is claimed as usual", id, e.getMessage());
            return Optional.empty();
        }
    }

    /** The first move of each saga claimed, in the caller's transaction. */
    private List<Started> firstMoves(List<UUID> claimed, String node, Move<Optional<PlannedCall>> start) {
        List<Started> started = new ArrayList<>();
        // Many sagas move in this one transaction: the lock manager may only try here, never wait.
        LockGate tryOnly = locks.gate(false);
        for (SagaRun run : runs(claimed)) {
            // A savepoint per saga: one whose move fails must not take the others of the batch down with it.
            sql.update("SAVEPOINT first_move");
            try {
                Optional<PlannedCall> next = start.apply(run, tryOnly);
                save(run, node, false);
                started.add(new Started(run.id, run, next));
            } catch (LockGate.Busy busy) {
                started.add(new Started(run.id, null, Optional.empty()));
            } catch (RuntimeException e) {
                sql.update("ROLLBACK TO SAVEPOINT first_move");
                LOG.errorf("Saga %s cannot make its first move (%s); it rests and is tried again", run.id,
                        e.getMessage());
                sagas.failedMove(run.id, node, AFTER_FAILED_MOVE);
            }
            sql.update("RELEASE SAVEPOINT first_move");
        }
        return started;
    }

    /** One saga, fresh from the database, for a move in a transaction of its own. */
    public SagaRun load(UUID id) {
        return QuarkusTransaction.requiringNew().call(() -> runs(List.of(id))).stream().findFirst()
                .orElseThrow(() -> new LostSagaException(id, "it does not exist"));
    }

    private List<SagaRun> runs(List<UUID> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        Map<UUID, LockManager.Holdings> holdings = locks.holdings(ids);
        return sagas.load(ids).stream().map(stored -> new SagaRun(stored, holdings.get(stored.id()).fencingTokens(),
                holdings.get(stored.id()).waitingSince())).toList();
    }

    /**
     * Applies one transition: {@code decide} changes the run and the move is saved in one statement, guarded by the
     * version this node knows, its lease and the abort request the run saw. A saga that takes locks decides in the
     * transaction that saves its move (the lock manager's changes are part of it); one that takes none decides
     * first, and its move is saved by the {@link MoveWriter} with those of other sagas. An abort asked for since (by
     * an operator, the deadlock detector, the recovery monitor) refuses the move: nothing of it is saved, the run is
     * loaded again, abort and all, and decided anew.
     */
    public <T> T transition(SagaRun run, String node, Move<T> decide) {
        // An abort is asked for once (its request needs none pending), so the second try sees it: two tries suffice.
        for (int attempt = 1; ; attempt++) {
            try {
                if (!run.takesLocks()) {
                    T decision = decide.apply(run, NO_LOCKS);
                    saved(run, writer.save(run.move(node)));
                    return decision;
                }
                return QuarkusTransaction.requiringNew().call(() -> {
                    sql.reusePlans();
                    T decision = decide.apply(run, locks.gate(true));
                    save(run, node, true);
                    return decision;
                });
            } catch (AbortArrived arrived) {
                if (attempt == 3) {
                    throw new LostSagaException(run.id, "its move was refused " + attempt + " times");
                }
                run.reloadFrom(load(run.id));
            }
        }
    }

    /** The saga was asked to abort after this node last read it: its move must be decided again. */
    private static final class AbortArrived extends RuntimeException {
        AbortArrived(UUID id) {
            super("saga " + id + " was asked to abort meanwhile", null, false, false);
        }
    }

    /** Saves a transition: what it lets go of in the lock manager first, so a busy resource leaves nothing half written. */
    private void save(SagaRun run, String node, boolean mayWait) {
        // A saga whose steps declare no locks has none to let go of: the lock manager is not asked.
        if (run.takesLocks()) {
            if (run.status.isTerminal() || run.restarted()) {
                locks.releaseAll(run.id, mayWait);
            } else if (run.compensationStarted()) {
                locks.leaveQueues(run.id, mayWait);
            }
        }
        SagaMove move = run.move(node);
        saved(run, Optional.ofNullable(sagas.saveMoves(List.of(move)).get(move.id())));
    }

    /** The run as its move left it: one version on, or the move was refused and the run cannot go on as it is. */
    private static void saved(SagaRun run, Optional<SagaStore.MoveRefused> refused) {
        if (refused.isPresent()) {
            switch (refused.get()) {
                case ABORT_ARRIVED -> throw new AbortArrived(run.id);
                case TAKEN_OVER -> throw new LostSagaException(run.id, "it moved on without this node");
                case GONE -> throw new LostSagaException(run.id, "it was deleted");
            }
        }
        run.version++;
    }

    /** Extends the leases of the sagas this node still works on; returns how many were renewed. */
    public int renewLeases(String node, Collection<UUID> inHand, Duration lease) {
        return QuarkusTransaction.requiringNew().call(() -> sagas.renewLeases(node, inHand, lease));
    }

    /** Gives a saga back at shutdown, for any node to take up at once. */
    public void release(UUID id, String node) {
        QuarkusTransaction.requiringNew().run(() -> sagas.release(id, node));
    }

    /** Gives a saga back after this node failed to make its move; it rests {@link #AFTER_FAILED_MOVE}. */
    public void failedMove(UUID id, String node) {
        QuarkusTransaction.requiringNew().run(() -> sagas.failedMove(id, node, AFTER_FAILED_MOVE));
    }
}
