package io.sagawarden.execution;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.sagawarden.db.Sql;
import io.sagawarden.saga.SagaMove;
import io.sagawarden.saga.SagaStore;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Saves the moves of sagas that take no locks, those of many sagas together: one statement and one commit for all
 * the moves made while the previous batch was being committed. Nothing waits to fill a batch: a lone move, with no
 * batch being written, is saved at once on its saga's own thread (no hand-over to wait for), and under load the
 * batches grow by themselves. Each move stays guarded on its own, and its saga's thread goes on (makes its next
 * call) only once the move has committed.
 */
@ApplicationScoped
public class MoveWriter {

    /** Enough to spread a commit over many moves, few enough that one statement stays small. */
    static final int MAX_BATCH = 256;

    private final SagaStore sagas;
    private final Sql sql;
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Thread writer;
    /** Held while a batch is written, by the writer or by a saga's thread saving its lone move. */
    private final ReentrantLock writing = new ReentrantLock();

    private record Pending(SagaMove move, CompletableFuture<Optional<SagaStore.MoveRefused>> saved) {
    }

    public MoveWriter(SagaStore sagas, Sql sql) {
        this.sagas = sagas;
        this.sql = sql;
        this.writer = Thread.ofPlatform().name("saga-move-writer").daemon().unstarted(this::writeLoop);
    }

    /**
     * Saves {@code move} in the next batch and returns once it committed: empty when it was saved,
     * or why its guard refused it. A move the database rejects fails alone, with the database's error.
     */
    public Optional<SagaStore.MoveRefused> save(SagaMove move) {
        startOnce();
        Pending pending = new Pending(move, new CompletableFuture<>());
        // Not while the writer waits to write what it took: a stream of lone moves must not keep it waiting.
        if (queue.isEmpty() && !writing.hasQueuedThreads() && writing.tryLock()) {
            try {
                write(List.of(pending));
            } finally {
                writing.unlock();
            }
        } else {
            queue.add(pending);
        }
        try {
            return pending.saved().join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException cause ? cause : e;
        }
    }

    private void startOnce() {
        if (writer.getState() == Thread.State.NEW) {
            synchronized (writer) {
                if (writer.getState() == Thread.State.NEW) {
                    writer.start();
                }
            }
        }
    }

    @PreDestroy
    void stop() {
        writer.interrupt();
    }

    private void writeLoop() {
        List<Pending> batch = new ArrayList<>();
        try {
            while (!Thread.currentThread().isInterrupted()) {
                batch.add(queue.take());
                writing.lockInterruptibly();
                try {
                    queue.drainTo(batch, MAX_BATCH - 1);
                    write(batch);
                } finally {
                    writing.unlock();
                }
                batch.clear();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        IllegalStateException stopped = new IllegalStateException("the node is shutting down");
        batch.forEach(p -> p.saved().completeExceptionally(stopped));
        queue.forEach(p -> p.saved().completeExceptionally(stopped));
    }

    /**
     * Saves the batch and completes each move's future. Never throws: the writer must outlive any one batch, since a
     * saga whose move never completed would wait forever, its lease renewed all the while; a move that fails
     * unexpectedly completes with that failure, and its runner lets the saga go, to be picked up again.
     */
    private void write(List<Pending> batch) {
        try {
            save(batch);
        } catch (Throwable unexpected) {
            batch.forEach(p -> p.saved().completeExceptionally(unexpected));
        }
    }

    private void save(List<Pending> batch) {
        Map<UUID, SagaStore.MoveRefused> refused;
        try {
            refused = QuarkusTransaction.requiringNew().call(() -> {
                sql.reusePlans();
                return sagas.saveMoves(batch.stream().map(Pending::move).toList());
            });
        } catch (RuntimeException e) {
            if (batch.size() == 1) {
                batch.getFirst().saved().completeExceptionally(e);
            } else {
                // One move the database rejects (a value it refuses) must not fail the others: each alone now.
                batch.forEach(p -> save(List.of(p)));
            }
            return;
        }
        batch.forEach(p -> p.saved().complete(Optional.ofNullable(refused.get(p.move().id()))));
    }
}
