package io.sagawarden.cluster;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.sagawarden.db.Sql;
import io.sagawarden.metrics.ClusterMetrics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * One leader at a time for the cluster-wide jobs, chosen with a lease row: a node takes the lease when it
 * is free or expired and renews it while it lives; if it dies, the lease expires and another node takes over.
 * Every node also records its heartbeat, so operators and the recovery monitor can tell live nodes from dead.
 */
@ApplicationScoped
public class Leadership {

    static final String JOB = "maintenance";
    private static final Logger LOG = Logger.getLogger(Leadership.class);

    private final Sql sql;
    private final NodeIdentity node;
    private final ClusterConfig config;
    private final ClusterMetrics metrics;
    private final AtomicBoolean leader = new AtomicBoolean();
    private volatile long leaseValidUntilNanos;

    public Leadership(Sql sql, NodeIdentity node, ClusterConfig config, ClusterMetrics metrics) {
        this.metrics = metrics;
        this.sql = sql;
        this.node = node;
        this.config = config;
    }

    void start(@Observes StartupEvent event) {
        beat();
    }

    /** True while this node holds an unexpired leader lease (measured on its own clock, conservatively). */
    public boolean isLeader() {
        return leader.get() && System.nanoTime() < leaseValidUntilNanos;
    }

    @Scheduled(every = "${saga.cluster.heartbeat}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void beat() {
        try {
            runOnce();
        } catch (RuntimeException e) {
            leader.set(false);
            metrics.leading(false);
            LOG.warnf("Leader lease renewal failed; not leading until it works again: %s", e.getMessage());
        }
    }

    /** Records this node's heartbeat and takes or renews the leader lease; returns whether it leads. */
    public boolean runOnce() {
        long asked = System.nanoTime();
        boolean leads = QuarkusTransaction.requiringNew().call(() -> {
            sql.update("""
                    INSERT INTO cluster_nodes (id, started_at, heartbeat_at) VALUES (?, now(), now())
                    ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()""", node.id());
            return sql.queryOne("""
                    INSERT INTO leader_leases (job, owner, expires_at)
                    VALUES (?, ?, now() + ? * interval '1 millisecond')
                    ON CONFLICT (job) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
                    WHERE leader_leases.owner = EXCLUDED.owner OR leader_leases.expires_at < now()
                    RETURNING owner""", rs -> rs.getString(1), JOB, node.id(), config.leaderLease().toMillis())
                    .isPresent();
        });
        if (leads) {
            // Counted from before the renewal was asked for, so this node stops leading before the lease lapses.
            leaseValidUntilNanos = asked + config.leaderLease().toNanos();
        }
        metrics.leading(leads);
        if (leader.getAndSet(leads) != leads) {
            LOG.infof(leads ? "Node %s now leads the cluster-wide jobs" : "Node %s no longer leads", node.id());
        }
        return leads;
    }

    /** Hands the lease over at once on a clean shutdown, instead of making the cluster wait for it to expire. */
    public void resign() {
        metrics.leading(false);
        if (leader.getAndSet(false)) {
            QuarkusTransaction.requiringNew().run(() ->
                    sql.update("DELETE FROM leader_leases WHERE job = ? AND owner = ?", JOB, node.id()));
        }
    }

    void stop(@Observes io.quarkus.runtime.ShutdownEvent event) {
        try {
            resign();
        } catch (RuntimeException e) {
            LOG.debugf("Could not resign leadership: %s", e.getMessage());
        }
    }
}
