package io.sagawarden.saga;

import io.sagawarden.db.WorkSignal;
import io.sagawarden.problem.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.util.UUID;

/**
 * What operators may do to a saga. An abort is only requested here; the saga's owner applies it at its next move,
 * so an outcome in flight is never lost.
 */
@ApplicationScoped
public class SagaOperations {

    private final SagaStore sagas;
    private final WorkSignal notifications;

    public SagaOperations(SagaStore sagas, WorkSignal notifications) {
        this.sagas = sagas;
        this.notifications = notifications;
    }

    /**
     * Asks a saga to stop and compensate ({@code OPERATOR_ABORT}); idempotent while the request is pending. A saga
     * outside {@code scope} is not found.
     */
    @Transactional
    public void abort(UUID id, SagaScope scope, String by) {
        if (sagas.requestAbort(id, scope.submitter(), SagaReason.OPERATOR_ABORT, by)) {
            notifications.announce();
            return;
        }
        SagaStore.State state = sagas.state(id).filter(s -> scope.includes(s.submitter()))
                .orElseThrow(() -> SagaQueries.notFound(id));
        if (state.status().isTerminal()) {
            throw new ProblemException.Conflict("saga " + id + " has already ended " + state.status());
        }
        // Already asked to abort, or already compensating: what the abort asks for is under way.
    }

    /**
     * Runs the saga's current step again now: a FAILED saga retries the compensation that failed, a saga
     * waiting for a retry skips the rest of its backoff, and a saga whose node died is taken over at once.
     */
    @Transactional
    public void retry(UUID id, String by) {
        if (sagas.reviveFailed(id, by) || sagas.takeOver(id, by)) {
            notifications.announce();
            return;
        }
        SagaStore.State state = state(id);
        throw new ProblemException.Conflict(switch (state.status()) {
            case COMPLETED, COMPENSATED -> "saga " + id + " has ended " + state.status() + "; there is nothing to retry";
            case PENDING -> "saga " + id + " has not started yet";
            case WAITING -> "saga " + id + " is waiting for a lock; it runs as soon as the lock is granted";
            default -> "saga " + id + " is being run by " + state.owner() + " right now";
        });
    }

    private SagaStore.State state(UUID id) {
        return sagas.state(id).orElseThrow(() -> SagaQueries.notFound(id));
    }
}
