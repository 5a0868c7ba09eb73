package io.sagawarden.retention;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import io.sagawarden.alert.AlertDelivery;
import io.sagawarden.alert.Alerts;
import io.sagawarden.cluster.Leadership;
import io.sagawarden.deadlock.DeadlockStore;
import io.sagawarden.metrics.RetentionMetrics;
import io.sagawarden.saga.SagaStore;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Instant;
import java.util.function.BiFunction;
import org.jboss.logging.Logger;

/**
 * The leader deletes what has been kept long enough ({@link RetentionConfig}): ended sagas with their steps and
 * history, deadlock records, resolved alerts and delivered alert notifications. Each table's owner deletes its
 * own rows, a batch per transaction, oldest first, resting {@code saga.retention.pause} between batches, until none
 * is left that old; the leader stops between batches when it stops leading. {@link #runOnce(Instant)} takes the time as an argument, so tests move the clock.
 */
@ApplicationScoped
public class Retention {

    private static final Logger LOG = Logger.getLogger(Retention.class);

    private final SagaStore sagas;
    private final DeadlockStore deadlocks;
    private final Alerts alerts;
    private final AlertDelivery deliveries;
    private final Leadership leadership;
    private final RetentionMetrics metrics;
    private final RetentionConfig config;
    private final Clock clock;

    public Retention(SagaStore sagas, DeadlockStore deadlocks, Alerts alerts, AlertDelivery deliveries,
                     Leadership leadership, RetentionMetrics metrics, RetentionConfig config, Clock clock) {
        this.sagas = sagas;
        this.deadlocks = deadlocks;
        this.alerts = alerts;
        this.deliveries = deliveries;
        this.leadership = leadership;
        this.metrics = metrics;
        this.config = config;
        this.clock = clock;
    }

    /** Rows deleted by one round, per kind. */
    public record Purged(long sagas, long deadlocks, long alerts, long deliveries) {
    }

    @Scheduled(every = "${saga.retention.interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void purge() {
        if (!leadership.isLeader()) {
            return;
        }
        try {
            Purged purged = runOnce(clock.instant());
            if (purged.sagas() + purged.deadlocks() + purged.alerts() + purged.deliveries() > 0) {
                LOG.infof("Retention purged %d ended sagas, %d deadlock records, %d resolved alerts, %d deliveries",
                        purged.sagas(), purged.deadlocks(), purged.alerts(), purged.deliveries());
            }
        } catch (RuntimeException e) {
            LOG.errorf(e, "A retention round failed; the next one retries");
        }
    }

    public Purged runOnce(Instant now) {
        Instant before = now.minus(config.ended());
        long sagaRows = purge("sagas", before, sagas::deleteEnded);
        long deadlockRows = purge("deadlocks", before, deadlocks::deleteDetectedBefore);
        long alertRows = purge("alerts", before, alerts::deleteResolvedBefore);
        long deliveryRows = purge("alert_deliveries", before, deliveries::deleteDeliveredBefore);
        return new Purged(sagaRows, deadlockRows, alertRows, deliveryRows);
    }

    private long purge(String table, Instant before, BiFunction<Instant, Integer, Integer> deleteBatch) {
        long total = 0;
        int deleted;
        do {
            deleted = QuarkusTransaction.requiringNew().call(() -> deleteBatch.apply(before, config.batchSize()));
            total += deleted;
            metrics.purged(table, deleted);
        } while (deleted == config.batchSize() && leadership.isLeader() && rested());
        return total;
    }

    /** Rests between batches; false when interrupted (the service is stopping). */
    private boolean rested() {
        try {
            Thread.sleep(config.pause());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
