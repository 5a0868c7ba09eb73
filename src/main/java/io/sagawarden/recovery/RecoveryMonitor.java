package io.sagawarden.recovery;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import io.sagawarden.alert.AlertKind;
import io.sagawarden.alert.Alerts;
import io.sagawarden.cluster.Leadership;
import io.sagawarden.db.Sql;
import io.sagawarden.db.WorkSignal;
import io.sagawarden.lock.LockManager;
import io.sagawarden.lock.LockQueue;
import io.sagawarden.saga.SagaEvents;
import io.sagawarden.saga.SagaReason;
import io.sagawarden.saga.SagaStatus;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * The leader's watch over sagas that run too long or stopped moving: LONG_RUNNING warnings, STUCK alerts with
 * their cause, recovery (retry the step, then compensate with STUCK_RECOVERY, then RECOVERY_FAILED for an
 * operator), and the resolution of alerts whose condition has ended. {@link #runOnce(Instant)} takes the time
 * as an argument, so tests move the clock instead of waiting.
 */
@ApplicationScoped
public class RecoveryMonitor {

    private static final Logger LOG = Logger.getLogger(RecoveryMonitor.class);

    private final Sql sql;
    private final Alerts alerts;
    private final SagaEvents events;
    private final LockManager locks;
    private final WorkSignal signal;
    private final Leadership leadership;
    private final RecoveryConfig config;
    private final Clock clock;

    public RecoveryMonitor(Sql sql, Alerts alerts, SagaEvents events, LockManager locks, WorkSignal signal,
                           Leadership leadership, RecoveryConfig config, Clock clock) {
        this.sql = sql;
        this.alerts = alerts;
        this.events = events;
        this.locks = locks;
        this.signal = signal;
        this.leadership = leadership;
        this.config = config;
        this.clock = clock;
    }

    /** What one round found and did. */
    public record Round(int longRunning, int stuck, int retried, int compensated, int failed, int resolved) {
    }

    @Scheduled(every = "${saga.recovery.interval:PT30S}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void monitor() {
        if (!leadership.isLeader()) {
            return;
        }
        try {
            runOnce(clock.instant());
        } catch (RuntimeException e) {
            LOG.errorf(e, "A recovery monitor round failed; the next one retries");
        }
    }

    public Round runOnce(Instant now) {
        int resolved = QuarkusTransaction.requiringNew().call(() -> resolveEndedConditions(now));
        int longRunning = QuarkusTransaction.requiringNew().call(() -> warnLongRunning(now));
        int retried = 0;
        int compensated = 0;
        int failed = 0;
        List<StuckSaga> stuck = QuarkusTransaction.requiringNew().call(() -> stuckSagas(now));
        for (StuckSaga saga : stuck) {
            StuckDiagnosis.Verdict verdict = StuckDiagnosis.diagnose(saga, config.maxRecoveries());
            switch (QuarkusTransaction.requiringNew().call(() -> recover(saga, verdict, now))) {
                case RETRY -> retried++;
                case COMPENSATE -> compensated++;
                case GIVE_UP -> failed++;
                case null -> { }
            }
        }
        return new Round(longRunning, stuck.size(), retried, compensated, failed, resolved);
    }

    private int warnLongRunning(Instant now) {
        Map<String, Duration> expected = config.expectedRuntime();
        record LongRunning(UUID id, String type, Instant startedAt, long expectedMs) {
        }
        List<LongRunning> found = sql.query("""
                WITH expected(type, ms) AS (SELECT * FROM unnest(CAST(? AS text[]), CAST(? AS bigint[])))
                SELECT s.id, s.type, s.started_at, coalesce(s.timeout_ms, e.ms, ?) AS expected_ms
                FROM sagas s LEFT JOIN expected e ON e.type = s.type
                WHERE s.ended_at IS NULL AND s.started_at IS NOT NULL
                  AND s.started_at < CAST(? AS timestamptz) - coalesce(s.timeout_ms, e.ms, ?) * interval '1 millisecond'
                  AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.kind = 'LONG_RUNNING' AND a.saga_id = s.id
                                  AND a.state <> 'RESOLVED')
                LIMIT 1000""", rs -> new LongRunning(rs.getObject(1, UUID.class), rs.getString(2), Sql.instant(rs, "started_at"),
                rs.getLong(4)), expected.keySet().toArray(String[]::new),
                expected.values().stream().map(Duration::toMillis).toArray(Long[]::new),
                config.defaultExpectedRuntime().toMillis(), now, config.defaultExpectedRuntime().toMillis());
        for (LongRunning saga : found) {
            Duration running = Duration.between(saga.startedAt(), now);
            alerts.raise(AlertKind.LONG_RUNNING, saga.id(), "Saga " + saga.id() + " (" + saga.type() + ") is running long",
                    "It has run for " + running.withNanos(0) + ", longer than the " + Duration.ofMillis(saga.expectedMs())
                            + " expected of " + saga.type() + ".",
                    Map.of("runningFor", running.toString(), "expected", Duration.ofMillis(saga.expectedMs()).toString()));
        }
        return found.size();
    }

    private List<StuckSaga> stuckSagas(Instant now) {
        List<StuckSaga> stuck = sql.query("""
                SELECT s.id, s.type, s.version, s.status, s.abort_reason, s.recovery_count, s.progress_at, s.lease_owner,
                       coalesce(s.lease_expires_at > now() AND n.heartbeat_at > now() - ? * interval '1 millisecond',
                                false) AS owner_alive,
                       st.name AS step, st.compensation_attempts,
                       CASE WHEN s.status = 'COMPENSATING' THEN st.compensation_last_error ELSE st.last_error END AS last_error
                FROM sagas s
                LEFT JOIN cluster_nodes n ON n.id = s.lease_owner
                LEFT JOIN saga_steps st ON st.saga_id = s.id AND st.idx = s.current_step
                WHERE s.status IN ('RUNNING', 'WAITING', 'COMPENSATING') AND s.progress_at < CAST(? AS timestamptz)
                ORDER BY s.progress_at LIMIT 500""", rs -> new StuckSaga(rs.getObject("id", UUID.class), rs.getString("type"),
                rs.getLong("version"), SagaStatus.valueOf(rs.getString("status")),
                rs.getString("abort_reason") == null ? null : SagaReason.valueOf(rs.getString("abort_reason")),
                rs.getInt("recovery_count"), Sql.instant(rs, "progress_at"), rs.getString("lease_owner"),
                rs.getBoolean("owner_alive"), rs.getString("step"), (Integer) rs.getObject("compensation_attempts"),
                rs.getString("last_error"), List.of()), config.nodeDeadAfter().toMillis(), now.minus(config.stuckAfter()));
        List<StuckSaga> withBlockers = new ArrayList<>();
        for (StuckSaga saga : stuck) {
            withBlockers.add(saga.status() == SagaStatus.WAITING ? withBlockers(saga) : saga);
        }
        return withBlockers;
    }

    /** Names who a waiting saga waits for, from the same queue rules the lock manager grants by. */
    private StuckSaga withBlockers(StuckSaga saga) {
        record Wait(String resource, io.sagawarden.lock.LockMode mode) {
        }
        List<Wait> waits = sql.query("SELECT resource, mode FROM lock_waits WHERE saga_id = ?",
                rs -> new Wait(rs.getString(1), io.sagawarden.lock.LockMode.valueOf(rs.getString(2))), saga.id());
        Map<String, LockQueue> queues = locks.queues(waits.stream().map(Wait::resource).toList());
        List<UUID> blockers = waits.stream().flatMap(w -> queues.get(w.resource()).blockers(saga.id(), w.mode()).stream())
                .map(LockQueue.Blocker::saga).distinct().toList();
        return new StuckSaga(saga.id(), saga.type(), saga.version(), saga.status(), saga.abortReason(), saga.recoveryCount(),
                saga.progressAt(), saga.leaseOwner(), saga.ownerAlive(), saga.step(), saga.compensationAttempts(),
                saga.lastError(), blockers);
    }

    /** Raises the STUCK alert and applies the verdict; null when the saga moved meanwhile. */
    private StuckDiagnosis.Action recover(StuckSaga saga, StuckDiagnosis.Verdict verdict, Instant now) {
        Duration still = Duration.between(saga.progressAt(), now).withNanos(0);
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("cause", verdict.cause().name());
        metadata.put("stuckFor", still.toString());
        metadata.put("step", saga.step());
        metadata.put("owner", saga.leaseOwner());
        metadata.put("blockedBy", saga.blockedBy());
        alerts.raise(AlertKind.STUCK, saga.id(), "Saga " + saga.id() + " (" + saga.type() + ") is stuck: " + verdict.cause(),
                "No progress for " + still + " while " + saga.status() + ": " + verdict.explanation() + ".", metadata);
        int applied = switch (verdict.action()) {
            case RETRY -> sql.update("""
                    UPDATE sagas SET recovery_count = recovery_count + 1, next_run_at = now(), updated_at = now(),
                           lease_owner = CASE WHEN ? THEN NULL ELSE lease_owner END,
                           lease_expires_at = CASE WHEN ? THEN NULL ELSE lease_expires_at END,
                           version = version + 1
                    WHERE id = ? AND version = ?""", verdict.takeLease(), verdict.takeLease(), saga.id(), saga.version());
            case COMPENSATE -> sql.update("""
                    UPDATE sagas SET abort_reason = 'STUCK_RECOVERY', next_run_at = now(), updated_at = now(),
                           lease_owner = CASE WHEN ? THEN NULL ELSE lease_owner END,
                           lease_expires_at = CASE WHEN ? THEN NULL ELSE lease_expires_at END,
                           version = version + 1
                    WHERE id = ? AND version = ? AND abort_reason IS NULL""", verdict.takeLease(), verdict.takeLease(),
                    saga.id(), saga.version());
            case GIVE_UP -> alerts.raise(AlertKind.RECOVERY_FAILED, saga.id(),
                    "Saga " + saga.id() + " (" + saga.type() + ") could not be recovered",
                    "It is still stuck (" + verdict.cause() + ": " + verdict.explanation() + ") after " + saga.recoveryCount()
                            + " recoveries" + (saga.abortReason() == SagaReason.STUCK_RECOVERY
                            ? " and the request to compensate it" : "") + ". It needs an operator.", metadata)
                    .isPresent() ? 1 : 0;
        };
        if (applied == 0) {
            return null;
        }
        if (verdict.action() != StuckDiagnosis.Action.GIVE_UP) {
            events.append(saga.id(), verdict.action() == StuckDiagnosis.Action.RETRY ? "STUCK_RECOVERY_RETRY" : "STUCK_RECOVERY_COMPENSATE",
                    saga.step(), Map.of("cause", verdict.cause().name(), "recovery", saga.recoveryCount() + 1));
            signal.announce();
        }
        LOG.warnf("Saga %s stuck (%s): %s", saga.id(), verdict.cause(), verdict.action());
        return verdict.action();
    }

    /** Alerts whose condition is over: the saga ended, or moved again. */
    private int resolveEndedConditions(Instant now) {
        int resolved = alerts.resolveWhere("""
                a.kind IN ('LONG_RUNNING', 'STUCK', 'DEADLOCK', 'RECOVERY_FAILED')
                AND EXISTS (SELECT 1 FROM sagas s WHERE s.id = a.saga_id AND s.ended_at IS NOT NULL)""");
        resolved += alerts.resolveWhere("""
                a.kind IN ('STUCK', 'RECOVERY_FAILED')
                AND NOT EXISTS (SELECT 1 FROM sagas s WHERE s.id = a.saga_id
                                AND s.status IN ('RUNNING', 'WAITING', 'COMPENSATING') AND s.progress_at < CAST(? AS timestamptz))""",
                now.minus(config.stuckAfter()));
        resolved += alerts.resolveWhere("""
                a.kind = 'COMPENSATION_FAILED'
                AND NOT EXISTS (SELECT 1 FROM sagas s WHERE s.id = a.saga_id AND s.status = 'FAILED')""");
        return resolved;
    }
}
