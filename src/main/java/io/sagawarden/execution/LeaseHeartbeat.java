package io.sagawarden.execution;

import io.quarkus.scheduler.Scheduled;
import io.sagawarden.cluster.NodeIdentity;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/** Renews the leases of the sagas this node works on, so a long participant call does not lose its saga. */
@ApplicationScoped
public class LeaseHeartbeat {

    private static final Logger LOG = Logger.getLogger(LeaseHeartbeat.class);

    private final Dispatcher dispatcher;
    private final ExecutionStore store;
    private final NodeIdentity node;
    private final ExecutionConfig config;

    public LeaseHeartbeat(Dispatcher dispatcher, ExecutionStore store, NodeIdentity node, ExecutionConfig config) {
        this.dispatcher = dispatcher;
        this.store = store;
        this.node = node;
        this.config = config;
    }

    @Scheduled(every = "${saga.execution.heartbeat}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void beat() {
        try {
            runOnce();
        } catch (RuntimeException e) {
            LOG.warnf("Renewing leases failed (they hold until %s after the last renewal): %s", config.lease(),
                    e.getMessage());
        }
    }

    public int runOnce() {
        return store.renewLeases(node.id(), dispatcher.inHand(), config.lease());
    }
}
