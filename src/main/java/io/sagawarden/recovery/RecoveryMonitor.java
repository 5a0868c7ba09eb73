package io.sagawarden.recovery;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import io.sagawarden.alert.AlertKind;
import io.sagawarden.alert.Alerts;
import io.sagawarden.cluster.Leadership;
import io.sagawarden.db.Sql;
import io.sagawarden.db.WorkSignal;
import io.sagawarden.lock.LockManager;
import io.sagawarden.saga.SagaEvent;
import io.sagawarden.saga.SagaReason;
import io.sagawarden.saga.SagaStatus;
import io.sagawarden.saga.SagaStore;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
    private final SagaStore sagas;
    private final LockManager locks;
    private final WorkSignal signal;
    private final Leadership leadership;
    private final RecoveryConfig config;
    private final Clock clock;

    public RecoveryMonitor(Sql sql, Alerts alerts, SagaStore sagas, LockManager locks, WorkSignal signal,
                           Leadership leadership, RecoveryConfig config, Clock clock) {
        this.sql = sql;
        this.alerts = alerts;
        this.sagas = sagas;
        this.locks = locks;
        this.signal = signal;
        this.leadership = leadership;
        this.config = config;
        this.clock = clock;
    }

    /** What one round found and did. */
    public record Round(int longRunning, int stuck, int retried, int compensated, int failed, int resolved) {
    }

    @Scheduled(every = "${saga.recovery.interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
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
        int longRunning = QuarkusTransaction.requiringNew().call(() -> warnLongRunning(now));
        Instant quietBefore = now.minus(config.stuckAfter());
        ActiveSagas active = QuarkusTransaction.requiringNew().call(() -> activeSagas(quietBefore));
        StuckDiagnosis diagnosis = new StuckDiagnosis(active.known(), quietBefore, config.maxRecoveries());
        Set<UUID> stuck = new HashSet<>();
        int retried = 0;
        int compensated = 0;
        int failed = 0;
        for (UUID id : active.candidates()) {
            Optional<StuckDiagnosis.Verdict> verdict = diagnosis.diagnose(id);
            if (verdict.isEmpty()) {
                continue;
            }
            stuck.add(id);
            switch (QuarkusTransaction.requiringNew().call(() -> recover(active.known().get(id), verdict.get(), now))) {
                case RETRY -> retried++;
                case COMPENSATE -> compensated++;
                case GIVE_UP -> failed++;
                case NONE -> { }
                case null -> { }
            }
        }
        int resolved = QuarkusTransaction.requiringNew().call(() -> resolveEndedConditions(active, stuck, quietBefore));
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

    /**
     * The sagas that may be stuck (quiet for longer than stuck-after, oldest first, at most {@value #CANDIDATES}),
     * and, for those that wait, the sagas in their way, followed down the queues: whether a waiter is stuck
     * depends on them.
     */
    private record ActiveSagas(List<UUID> candidates, Map<UUID, StuckSaga> known, boolean complete) {
    }

    private static final int CANDIDATES = 500;
    private static final int MOST_KNOWN = 5_000;

    /**
     * A saga's facts; {@code quiet_since} is the later of its last progress and the end of what it legitimately
     * waits for: its call's deadline, a retry's due time (not leased; the rest after a failed move is no retry), a
     * dead owner's lease expiry.
     */
    private static final String FACTS = """
            SELECT * FROM (
                SELECT s.id, s.type, s.version, s.status, s.abort_reason, s.recovery_count, s.progress_at, s.lease_owner,
                       coalesce(s.lease_expires_at > now() AND n.heartbeat_at > now() - ? * interval '1 millisecond',
                                false) AS owner_alive,
                       st.name AS step, st.compensation_attempts,
                       CASE WHEN s.status = 'COMPENSATING' THEN st.compensation_last_error ELSE st.last_error END AS last_error,
                       s.next_run_at, s.busy_until, s.lease_expires_at, s.failed_moves
                FROM sagas s
                LEFT JOIN cluster_nodes n ON n.id = s.lease_owner
                LEFT JOIN saga_steps st ON st.saga_id = s.id AND st.idx = s.current_step
                WHERE s.status IN ('RUNNING', 'WAITING', 'COMPENSATING') AND %s) f,
            LATERAL (SELECT greatest(f.progress_at, f.busy_until,
                                     CASE WHEN f.lease_owner IS NULL AND f.failed_moves = 0 THEN f.next_run_at END,
                                     CASE WHEN f.lease_owner IS NOT NULL AND NOT f.owner_alive THEN f.lease_expires_at END)
                            AS quiet_since) q
            %s""";

    private ActiveSagas activeSagas(Instant quietBefore) {
        // One snapshot for the sagas and the queues: a saga granted its lock between two reads would otherwise
        // look like a waiter that nothing blocks.
        sql.update("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
        List<StuckSaga> candidates = facts(FACTS.formatted("s.progress_at < CAST(? AS timestamptz)",
                "WHERE f.status = 'WAITING' OR q.quiet_since < CAST(? AS timestamptz) ORDER BY q.quiet_since LIMIT "
                        + CANDIDATES), config.nodeDeadAfter().toMillis(), quietBefore, quietBefore);
        Map<UUID, StuckSaga> known = new LinkedHashMap<>();
        candidates.forEach(c -> known.put(c.id(), c));
        List<StuckSaga> waiting = candidates;
        while (known.size() < MOST_KNOWN) {
            Set<UUID> unknown = new HashSet<>();
            for (StuckSaga saga : withBlockers(waiting)) {
                known.put(saga.id(), saga);
                saga.blockedBy().stream().filter(b -> !known.containsKey(b)).forEach(unknown::add);
            }
            if (unknown.isEmpty()) {
                break;
            }
            List<StuckSaga> found = facts(FACTS.formatted("s.id = ANY (CAST(? AS uuid[]))", ""),
                    config.nodeDeadAfter().toMillis(), (Object) unknown.stream().map(UUID::toString).toArray(String[]::new));
            found.forEach(f -> known.put(f.id(), f));
            waiting = found;
        }
        return new ActiveSagas(candidates.stream().map(StuckSaga::id).toList(), known, candidates.size() < CANDIDATES);
    }

    private List<StuckSaga> facts(String query, Object... params) {
        return sql.query(query, rs -> new StuckSaga(rs.getObject("id", UUID.class), rs.getString("type"),
                rs.getLong("version"), SagaStatus.valueOf(rs.getString("status")),
                SagaReason.ofNullable(rs.getString("abort_reason")),
                rs.getInt("recovery_count"), Sql.instant(rs, "progress_at"), Sql.instant(rs, "quiet_since"),
                rs.getString("lease_owner"), rs.getBoolean("owner_alive"), rs.getInt("failed_moves"), rs.getString("step"),
                (Integer) rs.getObject("compensation_attempts"), rs.getString("last_error"), List.of()), params);
    }

    /** The waiting ones among {@code sagas}, with who stands in their way, from the rules the lock manager grants by. */
    private List<StuckSaga> withBlockers(List<StuckSaga> sagas) {
        Map<UUID, StuckSaga> waiting = new HashMap<>();
        sagas.stream().filter(s -> s.status() == SagaStatus.WAITING).forEach(s -> waiting.put(s.id(), s));
        if (waiting.isEmpty()) {
            return List.of();
        }
        Map<UUID, Set<UUID>> blockers = new HashMap<>();
        locks.queuesOf(waiting.keySet()).values().forEach(queue -> queue.waiters().stream()
                .filter(w -> waiting.containsKey(w.saga()))
                .forEach(w -> queue.blockers(w.saga(), w.mode()).forEach(b -> blockers
                        .computeIfAbsent(w.saga(), k -> new LinkedHashSet<>()).add(b.saga()))));
        return waiting.values().stream()
                .map(s -> s.withBlockers(List.copyOf(blockers.getOrDefault(s.id(), Set.of())))).toList();
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
        if (verdict.stuckHolder() != null) {
            metadata.put("stuckHolder", verdict.stuckHolder());
        }
        alerts.raise(AlertKind.STUCK, saga.id(), "Saga " + saga.id() + " (" + saga.type() + ") is stuck: " + verdict.cause(),
                "No progress for " + still + " while " + saga.status() + ": " + verdict.explanation() + ".", metadata);
        boolean compensate = verdict.action() == StuckDiagnosis.Action.COMPENSATE;
        boolean applied = switch (verdict.action()) {
            case NONE -> true;
            case RETRY, COMPENSATE -> sagas.recover(saga.id(), saga.version(), compensate, verdict.takeLease(),
                    new SagaEvent.StuckRecovery(saga.step(), compensate, verdict.cause().name(), saga.recoveryCount() + 1));
            case GIVE_UP -> alerts.raise(AlertKind.RECOVERY_FAILED, saga.id(),
                    "Saga " + saga.id() + " (" + saga.type() + ") could not be recovered",
                    "It is still stuck (" + verdict.cause() + ": " + verdict.explanation() + ") after " + saga.recoveryCount()
                            + " recoveries" + (saga.abortReason() == SagaReason.STUCK_RECOVERY
                            ? " and the request to compensate it" : "") + ". It needs an operator.", metadata)
                    .isPresent();
        };
        if (!applied) {
            return null;
        }
        if (verdict.action() == StuckDiagnosis.Action.RETRY || compensate) {
            signal.announce();
        }
        LOG.warnf("Saga %s stuck (%s): %s", saga.id(), verdict.cause(), verdict.action());
        return verdict.action();
    }

    /**
     * Alerts whose condition is over: the saga ended, or is no longer stuck. A saga the round did not look at
     * (there were more candidates than it takes) keeps its alert unless it has moved since.
     */
    private int resolveEndedConditions(ActiveSagas active, Set<UUID> stuck, Instant quietBefore) {
        int resolved = alerts.resolveWhere("""
                a.kind IN ('LONG_RUNNING', 'STUCK', 'DEADLOCK', 'RECOVERY_FAILED')
                AND EXISTS (SELECT 1 FROM sagas s WHERE s.id = a.saga_id AND s.ended_at IS NOT NULL)""");
        String[] stuckIds = stuck.stream().map(UUID::toString).toArray(String[]::new);
        resolved += alerts.resolveWhere("""
                a.kind IN ('STUCK', 'RECOVERY_FAILED') AND a.saga_id <> ALL (CAST(? AS uuid[]))
                AND (? OR a.saga_id = ANY (CAST(? AS uuid[]))
                     OR NOT EXISTS (SELECT 1 FROM sagas s WHERE s.id = a.saga_id
                                    AND s.status IN ('RUNNING', 'WAITING', 'COMPENSATING')
                                    AND s.progress_at < CAST(? AS timestamptz)))""",
                stuckIds, active.complete(), active.candidates().stream().map(UUID::toString).toArray(String[]::new),
                quietBefore);
        resolved += alerts.resolveWhere("""
                a.kind = 'COMPENSATION_FAILED'
                AND NOT EXISTS (SELECT 1 FROM sagas s WHERE s.id = a.saga_id AND s.status = 'FAILED')""");
        return resolved;
    }
}
