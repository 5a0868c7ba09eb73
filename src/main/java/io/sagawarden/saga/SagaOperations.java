package io.sagawarden.saga;

import io.sagawarden.alert.AlertKind;
import io.sagawarden.alert.Alerts;
import io.sagawarden.db.Sql;
import io.sagawarden.db.WorkSignal;
import io.sagawarden.problem.ProblemException;
import io.sagawarden.saga.SagaEvents;
import io.sagawarden.saga.SagaReason;
import io.sagawarden.saga.SagaStatus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.util.Map;
import java.util.UUID;

/**
 * What operators (and the deadlock detector and recovery monitor) may do to a saga. An abort is only
 * requested here; the saga's owner applies it at its next move, so an outcome in flight is never lost.
 */
@ApplicationScoped
public class SagaOperations {

    private final Sql sql;
    private final SagaEvents events;
    private final WorkSignal notifications;

    private final Alerts alerts;

    public SagaOperations(Sql sql, SagaEvents events, WorkSignal notifications, Alerts alerts) {
        this.alerts = alerts;
        this.sql = sql;
        this.events = events;
        this.notifications = notifications;
    }

    /** Asks a saga to stop and compensate; idempotent while the request is pending. */
    @Transactional
    public void abort(UUID id, SagaReason reason, String by) {
        int requested = sql.update("""
                UPDATE sagas SET abort_reason = ?, next_run_at = LEAST(next_run_at, now()), updated_at = now()
                WHERE id = ? AND status IN ('PENDING', 'RUNNING', 'WAITING') AND abort_reason IS NULL""", reason, id);
        if (requested == 1) {
            events.append(id, "ABORT_REQUESTED", null, Map.of("reason", reason.name(), "by", by));
            notifications.announce();
            return;
        }
        State state = state(id);
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
        int revived = sql.update("""
                UPDATE sagas SET status = 'COMPENSATING', ended_at = NULL, next_run_at = now(), updated_at = now(),
                       progress_at = now(), version = version + 1,
                       reason = COALESCE((SELECT e.detail ->> 'reason' FROM saga_events e
                                          WHERE e.saga_id = sagas.id AND e.kind = 'COMPENSATING'
                                          ORDER BY e.id DESC LIMIT 1), reason)
                WHERE id = ? AND status = 'FAILED'""", id);
        if (revived == 1) {
            sql.update("""
                    UPDATE saga_steps SET compensation_status = 'NOT_STARTED', compensation_attempts = 0
                    WHERE saga_id = ? AND compensation_status = 'FAILED'""", id);
            alerts.resolve(AlertKind.COMPENSATION_FAILED, id);
        } else {
            revived = sql.update("""
                    UPDATE sagas SET next_run_at = now(), updated_at = now(),
                           lease_owner = NULL, lease_expires_at = NULL, version = version + 1
                    WHERE id = ? AND status IN ('RUNNING', 'COMPENSATING')
                      AND (lease_owner IS NULL OR lease_expires_at < now())""", id);
        }
        if (revived == 1) {
            events.append(id, "RETRY_REQUESTED", null, Map.of("by", by));
            notifications.announce();
            return;
        }
        State state = state(id);
        throw new ProblemException.Conflict(switch (state.status()) {
            case COMPLETED, COMPENSATED -> "saga " + id + " has ended " + state.status() + "; there is nothing to retry";
            case PENDING -> "saga " + id + " has not started yet";
            case WAITING -> "saga " + id + " is waiting for a lock; it runs as soon as the lock is granted";
            default -> "saga " + id + " is being run by " + state.owner() + " right now";
        });
    }

    private record State(SagaStatus status, SagaReason reason, SagaReason abortReason, String owner) {
    }

    private State state(UUID id) {
        return sql.queryOne("SELECT status, reason, abort_reason, lease_owner FROM sagas WHERE id = ?", rs -> new State(
                        SagaStatus.valueOf(rs.getString(1)), reason(rs.getString(2)), reason(rs.getString(3)),
                        rs.getString(4)), id)
                .orElseThrow(() -> new ProblemException.NotFound("no saga with id " + id));
    }

    private static SagaReason reason(String value) {
        return value == null ? null : SagaReason.valueOf(value);
    }
}
