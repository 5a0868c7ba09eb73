package io.sagawarden.db;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.util.function.Consumer;

/** What is to happen once the caller's transaction has ended, depending on whether it committed. */
@ApplicationScoped
public class TransactionEnds {

    private final TransactionSynchronizationRegistry registry;

    public TransactionEnds(TransactionSynchronizationRegistry registry) {
        this.registry = registry;
    }

    /** Calls {@code ended} with true once the caller's transaction has committed, with false if it rolled back. */
    public void whenEnded(Consumer<Boolean> ended) {
        registry.registerInterposedSynchronization(new Synchronization() {
            @Override
            public void beforeCompletion() {
            }

            @Override
            public void afterCompletion(int status) {
                ended.accept(status == Status.STATUS_COMMITTED);
            }
        });
    }
}
