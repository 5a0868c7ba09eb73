package io.sagawarden.execution;

import io.quarkus.runtime.StartupEvent;
import io.sagawarden.cluster.NodeIdentity;
import io.sagawarden.db.PgListener;
import io.sagawarden.db.WorkSignal;
import io.sagawarden.saga.SagaSubmitted;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Wakes the dispatchers of all nodes when work appears: new work sends a NOTIFY inside its own transaction
 * (delivered only if it commits), and every node listens. This node's own submissions wake it directly.
 */
@ApplicationScoped
public class WorkNotifications {

    private final WorkSignal signal;
    private final PgListener listener;
    private final Dispatcher dispatcher;
    private final NodeIdentity node;
    private final ExecutionConfig config;

    public WorkNotifications(WorkSignal signal, PgListener listener, Dispatcher dispatcher, NodeIdentity node,
                             ExecutionConfig config) {
        this.signal = signal;
        this.listener = listener;
        this.dispatcher = dispatcher;
        this.node = node;
        this.config = config;
    }

    void onSubmitted(@Observes SagaSubmitted submitted) {
        signal.announceToOthers(node.id());
    }

    void start(@Observes StartupEvent event) {
        if (config.enabled()) {
            listener.listen(WorkSignal.CHANNEL, sender -> {
                if (!node.id().equals(sender)) {
                    dispatcher.wake();
                }
            });
        }
    }
}
