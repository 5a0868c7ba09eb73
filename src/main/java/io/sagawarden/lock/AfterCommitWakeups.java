package io.sagawarden.lock;

import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jboss.logging.Logger;

/**
 * Wake-ups the lock manager could not deliver inside its transaction (the waiter's row was locked): they are
 * sent again right after that transaction commits, when no lock is held and waiting for the row is safe.
 * Should this node die in between, the deadlock detector's sweep finds waiters nobody blocks and wakes them.
 */
@ApplicationScoped
public class AfterCommitWakeups {

    private static final Logger LOG = Logger.getLogger(AfterCommitWakeups.class);

    private final TransactionSynchronizationRegistry registry;
    private final Instance<LockManager> locks;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    public AfterCommitWakeups(TransactionSynchronizationRegistry registry, Instance<LockManager> locks) {
        this.registry = registry;
        this.locks = locks;
    }

    void schedule(Set<UUID> sagas) {
        registry.registerInterposedSynchronization(new Synchronization() {
            @Override
            public void beforeCompletion() {
            }

            @Override
            public void afterCompletion(int status) {
                if (status == Status.STATUS_COMMITTED) {
                    executor.submit(() -> {
                        try {
                            QuarkusTransaction.requiringNew().run(() -> locks.get().wake(sagas));
                        } catch (RuntimeException e) {
                            LOG.warnf("Waking %s after commit failed; the detector's sweep will: %s", sagas, e.getMessage());
                        }
                    });
                }
            }
        });
    }
}
