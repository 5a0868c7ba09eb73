package io.sagawarden.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import io.sagawarden.db.Sql;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Cluster-wide gauges read from PostgreSQL, the single source of truth, every few seconds; every node
 * reports the same values, so dashboards aggregate them with max().
 */
// Created at start-up, so its series exist (at zero) before anything happens.
@Startup
@ApplicationScoped
public class SagaGauges {

    private static final Logger LOG = Logger.getLogger(SagaGauges.class);

    private final Sql sql;
    private final AtomicLong active = new AtomicLong();
    private final AtomicLong waiting = new AtomicLong();
    private final AtomicLong locksHeld = new AtomicLong();
    private final AtomicLong stuck = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    /** {@code config}: its gauge-refresh is the schedule of {@link #refresh()}; the mapping holds the default. */
    public SagaGauges(Sql sql, MeterRegistry registry, MetricsConfig config) {
        this.sql = sql;
        // Stuck is the recovery monitor's judgement (a quiet saga with nothing legitimate pending, or one blocked
        // by such a saga), which it records as an open STUCK alert: counting those keeps one definition.
        Gauge.builder("sagas_stuck", stuck, AtomicLong::get)
                .description("Sagas the recovery monitor found stuck: an unresolved STUCK alert").register(registry);
        Gauge.builder("sagas_active", active, AtomicLong::get).description("Sagas not yet ended").register(registry);
        Gauge.builder("sagas_waiting", waiting, AtomicLong::get).description("Sagas waiting for a lock").register(registry);
        Gauge.builder("locks_held", locksHeld, AtomicLong::get).description("Semantic locks held").register(registry);
        // A gauge beside the counter of sagas ending FAILED (sagas_failed_total, whose family name it must not take):
        // a rule on it pages from the first such saga on (a counter's first series has no increase to see) until an
        // operator has retried every one.
        Gauge.builder("sagas_failed_pending", failed, AtomicLong::get)
                .description("Sagas in FAILED: a compensation ran out of retries, waiting for an operator").register(registry);
    }

    @Scheduled(every = "${saga.metrics.gauge-refresh}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void refresh() {
        try {
            runOnce();
        } catch (RuntimeException e) {
            LOG.warnf("Refreshing the saga gauges failed: %s", e.getMessage());
        }
    }

    @Transactional
    public void runOnce() {
        sql.queryOne("""
                SELECT count(*), count(*) FILTER (WHERE status = 'WAITING'), (SELECT count(*) FROM resource_locks),
                       (SELECT count(*) FROM alerts WHERE kind = 'STUCK' AND state <> 'RESOLVED'),
                       (SELECT count(*) FROM sagas WHERE status = 'FAILED')
                FROM sagas WHERE ended_at IS NULL""", rs -> {
            active.set(rs.getLong(1));
            waiting.set(rs.getLong(2));
            locksHeld.set(rs.getLong(3));
            stuck.set(rs.getLong(4));
            failed.set(rs.getLong(5));
            return true;
        });
    }
}
