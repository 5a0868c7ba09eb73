package io.sagawarden.execution;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.sagawarden.alert.AlertKind;
import io.sagawarden.alert.Alerts;
import io.sagawarden.db.Json;
import io.sagawarden.db.Sql;
import io.sagawarden.db.WorkSignal;
import io.sagawarden.lock.LockGate;
import io.sagawarden.lock.LockManager;
import io.sagawarden.saga.CompensationStatus;
import io.sagawarden.saga.SagaReason;
import io.sagawarden.saga.SagaRequest;
import io.sagawarden.saga.SagaStatus;
import io.sagawarden.saga.StepStatus;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * The execution engine's SQL: claiming due sagas under a lease, loading them, saving each transition as one
 * transaction guarded by the saga's version and lease, and renewing leases.
 */
@ApplicationScoped
public class ExecutionStore {

    private static final Logger LOG = Logger.getLogger(ExecutionStore.class);
    /** How long a saga rests after a node failed to make its move, so a bad saga cannot spin. */
    public static final Duration AFTER_FAILED_MOVE = Duration.ofSeconds(5);

    private final Sql sql;
    private final Json json;
    private final LockManager locks;
    private final WorkSignal signal;
    private final Alerts alerts;

    public ExecutionStore(Sql sql, Json json, LockManager locks, WorkSignal signal, Alerts alerts) {
        this.alerts = alerts;
        this.sql = sql;
        this.json = json;
        this.locks = locks;
        this.signal = signal;
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
            List<UUID> ids = sql.query("""
                    WITH picked AS (
                        SELECT id, status AS was, lease_owner AS previous_owner FROM sagas
                        WHERE status IN ('PENDING', 'RUNNING', 'WAITING', 'COMPENSATING') AND next_run_at <= now()
                          AND next_run_at < 'infinity'
                          AND (lease_owner IS NULL OR lease_expires_at < now())
                        ORDER BY priority DESC, next_run_at
                        LIMIT ? FOR UPDATE SKIP LOCKED),
                    claimed AS (
                        UPDATE sagas s SET lease_owner = ?, lease_expires_at = now() + ? * interval '1 millisecond',
                               status = CASE WHEN s.status = 'PENDING' THEN 'RUNNING' ELSE s.status END,
                               started_at = COALESCE(s.started_at, now()),
                               progress_at = CASE WHEN s.status = 'PENDING' THEN now() ELSE s.progress_at END,
                               version = s.version + 1, updated_at = now()
                        FROM picked p WHERE s.id = p.id
                        RETURNING s.id, p.was, p.previous_owner),
                    noted AS (
                        INSERT INTO saga_events (saga_id, at, kind, detail)
                        SELECT id, clock_timestamp(), CASE WHEN was = 'PENDING' THEN 'STARTED' ELSE 'RECLAIMED' END,
                               jsonb_strip_nulls(jsonb_build_object('node', ?::text, 'previousOwner', previous_owner))
                        FROM claimed WHERE was = 'PENDING' OR previous_owner IS NOT NULL)
                    SELECT id FROM claimed""", rs -> rs.getObject(1, UUID.class), limit, node, lease.toMillis(), node);
            List<Started> started = new ArrayList<>();
            // Many sagas move in this one transaction: the lock manager may only try here, never wait.
            LockGate tryOnly = locks.gate(false);
            for (SagaRun run : load(ids)) {
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
                    rest(run.id, AFTER_FAILED_MOVE);
                }
                sql.update("RELEASE SAVEPOINT first_move");
            }
            return started;
        });
    }

    /** One saga, fresh from the database, for a move in a transaction of its own. */
    public SagaRun load(UUID id) {
        return QuarkusTransaction.requiringNew().call(() -> load(List.of(id))).stream().findFirst()
                .orElseThrow(() -> new LostSagaException(id, "it does not exist"));
    }

    private List<SagaRun> load(List<UUID> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        String[] keys = ids.stream().map(UUID::toString).toArray(String[]::new);
        Map<UUID, SagaRun> runs = new LinkedHashMap<>();
        sql.query("""
                SELECT id, type, priority, definition, payload, started_at, version, status, reason,
                       current_step, restart_count, abort_reason,
                       (SELECT min(w.queued_at) FROM lock_waits w WHERE w.saga_id = sagas.id) AS waiting_since
                FROM sagas WHERE id = ANY (CAST(? AS uuid[]))""", rs -> {
            SagaRequest definition = json.read(rs.getString("definition"), SagaRequest.class);
            SagaRun r = new SagaRun(rs.getObject("id", UUID.class), rs.getString("type"), rs.getInt("priority"),
                    definition, json.tree(rs.getString("payload")), Sql.instant(rs, "started_at"),
                    new ArrayList<>(), rs.getLong("version"), SagaStatus.valueOf(rs.getString("status")),
                    enumOrNull(rs.getString("reason")), rs.getInt("current_step"), rs.getInt("restart_count"));
            r.requestAbort(enumOrNull(rs.getString("abort_reason")));
            r.waitingSince(Sql.instant(rs, "waiting_since"));
            return runs.put(r.id, r);
        }, (Object) keys);
        sql.query("SELECT saga_id, resource, fencing_token FROM resource_locks WHERE saga_id = ANY (CAST(? AS uuid[]))",
                rs -> runs.get(rs.getObject(1, UUID.class)).fencingTokens.put(rs.getString(2), rs.getLong(3)),
                (Object) keys);
        sql.query("""
                SELECT saga_id, idx, status, attempts, started_at, ended_at, response, last_error,
                       compensation_status, compensation_attempts, compensation_last_error, may_have_taken_effect
                FROM saga_steps WHERE saga_id = ANY (CAST(? AS uuid[])) ORDER BY saga_id, idx""", rs -> {
            SagaRun run = runs.get(rs.getObject("saga_id", UUID.class));
            int idx = rs.getInt("idx");
            return run.steps.add(new StepRun(idx, run.definition.steps().get(idx),
                    StepStatus.valueOf(rs.getString("status")), rs.getInt("attempts"), Sql.instant(rs, "started_at"),
                    Sql.instant(rs, "ended_at"), json.tree(rs.getString("response")), rs.getString("last_error"),
                    CompensationStatus.valueOf(rs.getString("compensation_status")),
                    rs.getInt("compensation_attempts"), rs.getString("compensation_last_error"),
                    rs.getBoolean("may_have_taken_effect")));
        }, (Object) keys);
        return List.copyOf(runs.values());
    }

    /**
     * Applies one transition in one transaction: locks the saga row, checks it is still ours at the version we
     * know, lets {@code decide} change the run (seeing any abort requested meanwhile), and saves the changes.
     */
    public <T> T transition(SagaRun run, String node, Move<T> decide) {
        return QuarkusTransaction.requiringNew().call(() -> {
            record Current(long version, String owner, String abortReason) {
            }
            Current current = sql.queryOne("SELECT version, lease_owner, abort_reason FROM sagas WHERE id = ? FOR UPDATE",
                            rs -> new Current(rs.getLong(1), rs.getString(2), rs.getString(3)), run.id)
                    .orElseThrow(() -> new LostSagaException(run.id, "it was deleted"));
            if (current.version() != run.version || !node.equals(current.owner())) {
                throw new LostSagaException(run.id, "version " + current.version() + " owned by " + current.owner());
            }
            run.requestAbort(enumOrNull(current.abortReason()));
            T decision = decide.apply(run, locks.gate(true));
            save(run, node, true);
            return decision;
        });
    }

    /** Saves a transition; lock-manager work comes first so a busy resource leaves nothing half written. */
    private void save(SagaRun run, String node, boolean mayWait) {
        if (run.status.isTerminal() || run.restarted()) {
            locks.releaseAll(run.id, mayWait);
        } else if (run.compensationStarted()) {
            locks.leaveQueues(run.id, mayWait);
        }
        sql.batch("""
                UPDATE saga_steps SET status = ?, attempts = ?, started_at = ?, ended_at = ?,
                       response = CAST(? AS jsonb), last_error = ?, compensation_status = ?,
                       compensation_attempts = ?, compensation_last_error = ?, may_have_taken_effect = ?
                WHERE saga_id = ? AND idx = ?""", run.steps.stream().filter(StepRun::isDirty).map(s -> new Object[] {
                s.status, s.attempts, s.startedAt, s.endedAt, s.response == null ? null : json.write(s.response),
                s.lastError, s.compensationStatus, s.compensationAttempts, s.compensationLastError,
                s.mayHaveTakenEffect, run.id, s.index})
                .toList());
        // The events first and the saga's end after them, on one clock: a saga never ends before its last event.
        sql.batch("INSERT INTO saga_events (saga_id, at, kind, step, detail) VALUES (?, clock_timestamp(), ?, ?, CAST(? AS jsonb))",
                run.events.stream().map(e -> new Object[] {run.id, e.kind(), e.step(), json.write(e.detail())}).toList());
        boolean ended = run.status.isTerminal();
        boolean waiting = run.status == SagaStatus.WAITING;
        boolean letGo = ended || waiting || run.retryAfter != null;
        // A saga waiting for a lock with no deadline runs again only when a release wakes it.
        Long retryMs = run.retryAfter != null ? Long.valueOf(run.retryAfter.toMillis()) : waiting ? Long.valueOf(-1) : null;
        Long callMs = run.callTimeout() == null ? null : run.callTimeout().toMillis();
        int updated = sql.update("""
                UPDATE sagas SET status = ?, reason = ?, current_step = ?, version = version + 1, updated_at = now(),
                       progress_at = CASE WHEN ? THEN now() ELSE progress_at END,
                       call_deadline = now() + ?::bigint * interval '1 millisecond',
                       next_run_at = CASE WHEN ?::bigint IS NULL THEN next_run_at
                                          WHEN ?::bigint < 0 THEN 'infinity'
                                          ELSE now() + ?::bigint * interval '1 millisecond' END,
                       lease_owner = CASE WHEN ? THEN NULL ELSE lease_owner END,
                       lease_expires_at = CASE WHEN ? THEN NULL ELSE lease_expires_at END,
                       ended_at = CASE WHEN ? THEN clock_timestamp() END, failed_moves = 0,
                       abort_reason = CASE WHEN ? THEN NULL ELSE abort_reason END,
                       restart_count = restart_count + CASE WHEN ? THEN 1 ELSE 0 END
                WHERE id = ? AND version = ? AND lease_owner = ?""",
                run.status, run.reason, run.currentStep, run.progressed, callMs, retryMs, retryMs, retryMs, letGo, letGo, ended,
                run.abortApplied, run.restarted(), run.id, run.version, node);
        if (updated != 1) {
            throw new LostSagaException(run.id, "the guarded update matched no row");
        }
        run.version++;
        if (waiting && run.progressed) {
            signal.waitsChanged();
        }
        if (run.status == SagaStatus.FAILED) {
            StepRun failed = run.steps.get(run.currentStep);
            alerts.raise(AlertKind.COMPENSATION_FAILED, run.id,
                    "Saga " + run.id + " (" + run.type + ") could not compensate step " + failed.name(),
                    "The compensation of step " + failed.name() + " failed " + failed.compensationAttempts
                            + " times (last error: " + failed.compensationLastError + "). The saga is FAILED and needs "
                            + "an operator: fix the participant, then POST /api/v1/sagas/" + run.id + "/retry.",
                    Map.of("step", failed.name(), "attempts", failed.compensationAttempts));
        }
    }

    /** Extends the leases of the sagas this node still works on; returns how many were renewed. */
    public int renewLeases(String node, Collection<UUID> inHand, Duration lease) {
        if (inHand.isEmpty()) {
            return 0;
        }
        String[] ids = inHand.stream().map(UUID::toString).toArray(String[]::new);
        return QuarkusTransaction.requiringNew().call(() -> sql.update("""
                UPDATE sagas SET lease_expires_at = now() + ? * interval '1 millisecond'
                WHERE lease_owner = ? AND id = ANY (CAST(? AS uuid[]))""", lease.toMillis(), node, ids));
    }

    /** Gives a saga back at shutdown, for any node to take up at once. */
    public void release(UUID id, String node) {
        QuarkusTransaction.requiringNew().run(() -> sql.update("""
                UPDATE sagas SET lease_owner = NULL, lease_expires_at = NULL, updated_at = now(), next_run_at = now()
                WHERE id = ? AND lease_owner = ?""", id, node));
    }

    /**
     * Gives a saga back after this node failed to make its move, to rest {@link #AFTER_FAILED_MOVE} so a bad saga
     * cannot spin. The failures are counted until a move succeeds: resting is not something legitimately pending,
     * and a saga that keeps failing is stuck.
     */
    public void failedMove(UUID id, String node) {
        QuarkusTransaction.requiringNew().run(() -> sql.update("""
                UPDATE sagas SET lease_owner = NULL, lease_expires_at = NULL, updated_at = now(),
                       next_run_at = now() + ? * interval '1 millisecond', failed_moves = failed_moves + 1
                WHERE id = ? AND lease_owner = ?""", AFTER_FAILED_MOVE.toMillis(), id, node));
    }

    private void rest(UUID id, Duration delay) {
        sql.update("""
                UPDATE sagas SET lease_owner = NULL, lease_expires_at = NULL, updated_at = now(),
                       next_run_at = now() + ? * interval '1 millisecond', failed_moves = failed_moves + 1
                WHERE id = ?""", delay.toMillis(), id);
    }

    private static SagaReason enumOrNull(String value) {
        return value == null ? null : SagaReason.valueOf(value);
    }
}
