package io.sagawarden.lock;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.sagawarden.db.TransactionEnds;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
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

    private final TransactionEnds transactionEnds;
    private final Instance<LockManager> locks;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    public AfterCommitWakeups(TransactionEnds transactionEnds, Instance<LockManager> locks) {
        this.transactionEnds = transactionEnds;
        this.locks = locks;
    }

    void schedule(Set<UUID> sagas) {
        transactionEnds.whenEnded(committed -> {
            if (committed) {
                executor.submit(() -> {
                    try {
                        QuarkusTransaction.requiringNew().run(() -> locks.get().wake(sagas));
                    } catch (RuntimeException e) {
                        LOG.warnf("Waking %s after commit failed; the detector's sweep will: %s", sagas, e.getMessage());
                    }
                });
            }
        });
    }
}
