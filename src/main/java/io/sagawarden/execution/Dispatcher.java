package io.sagawarden.execution;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.sagawarden.cluster.NodeIdentity;
import io.sagawarden.db.TransactionEnds;
import io.sagawarden.saga.SagaSubmitted;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jboss.logging.Logger;

/**
 * Hands due sagas to workers: one loop claims as many as there are free worker slots and runs each on a
 * virtual thread. It sleeps until woken — by a submission on this node, a notification from another node, a
 * retry coming due, or a finished saga when work was left over — or until the poll interval passes. A saga
 * submitted on this node while it has none in hand is started in the submitting transaction itself, and runs as
 * soon as that commits.
 */
@ApplicationScoped
public class Dispatcher {

    private static final Logger LOG = Logger.getLogger(Dispatcher.class);

    private final ExecutionStore store;
    private final SagaRunner runner;
    private final NodeIdentity node;
    private final ExecutionConfig config;
    private final TransactionEnds transactionEnds;
    private final Semaphore slots;
    private final Set<UUID> inHand = ConcurrentHashMap.newKeySet();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition signal = lock.newCondition();
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("saga-retry-timer").daemon().factory());
    private boolean woken;
    private volatile boolean running;
    private volatile boolean moreWork;
    private Thread loop;

    public Dispatcher(ExecutionStore store, SagaRunner runner, NodeIdentity node, ExecutionConfig config,
                      TransactionEnds transactionEnds) {
        this.store = store;
        this.runner = runner;
        this.node = node;
        this.config = config;
        this.transactionEnds = transactionEnds;
        this.slots = new Semaphore(config.concurrency());
    }

    void start(@Observes StartupEvent event) {
        if (!config.enabled()) {
            LOG.info("Saga execution is disabled on this node (saga.execution.enabled=false)");
            return;
        }
        running = true;
        loop = Thread.ofPlatform().name("saga-dispatcher").daemon().start(this::dispatchLoop);
        LOG.infof("Node %s runs up to %d sagas at once", node.id(), config.concurrency());
    }

    void stop(@Observes ShutdownEvent event) {
        running = false;
        wake();
        timers.shutdownNow();
        if (loop != null) {
            try {
                loop.join(Duration.ofSeconds(5));
                // Give the sagas in hand a moment to finish their call, then let the others go at once
                // instead of making the cluster wait for their leases to expire.
                if (slots.tryAcquire(config.concurrency(), 10, TimeUnit.SECONDS)) {
                    slots.release(config.concurrency());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (UUID id : inHand) {
                try {
                    store.release(id, node.id());
                } catch (RuntimeException e) {
                    LOG.debugf("Could not release saga %s at shutdown: %s", id, e.getMessage());
                }
            }
        }
    }

    /** Work may be due: claim now rather than at the next poll. */
    public void wake() {
        lock.lock();
        try {
            woken = true;
            signal.signal();
        } finally {
            lock.unlock();
        }
    }

    /**
     * In the submitting transaction: starts the saga there if this node has no saga in hand and no work left over,
     * else wakes the loop once the submission commits. Starting it there saves a lone saga a commit and a wake-up,
     * but lengthens its submission; on a busy node the loop claims submissions in batches, a commit for many, and
     * the submitters' answers stay quick.
     */
    void onSubmitted(@Observes SagaSubmitted submitted) {
        Instant began = Instant.now();
        Optional<ExecutionStore.Started> started = running && !moreWork && inHand.isEmpty() && slots.tryAcquire()
                ? startSubmitted(submitted.sagaId()) : Optional.empty();
        transactionEnds.whenEnded(committed -> {
            if (started.isEmpty()) {
                if (committed) {
                    wake();
                }
            } else if (committed) {
                Thread.ofVirtual().name("saga-" + submitted.sagaId()).start(() -> runStarted(started.get(), began));
            } else {
                inHand.remove(submitted.sagaId());
                slots.release();
            }
        });
    }

    /** A saga started in its submission, once that committed; given back should its start not be taken in hand. */
    private void runStarted(ExecutionStore.Started started, Instant began) {
        try {
            runner.started(started, began, this::wakeAfter);
        } catch (RuntimeException e) {
            LOG.errorf(e, "Saga %s started with its submission cannot be run here; it is given back", started.id());
            inHand.remove(started.id());
            slots.release();
            store.failedMove(started.id(), node.id());
            return;
        }
        runClaimed(started);
    }

    /** With a slot taken for it: the saga started in its submission, or empty and the slot given back. */
    private Optional<ExecutionStore.Started> startSubmitted(UUID id) {
        Optional<ExecutionStore.Started> started;
        try {
            started = runner.startSubmitted(id);
        } catch (RuntimeException e) {
            slots.release();
            throw e;
        }
        started.ifPresentOrElse(s -> inHand.add(id), slots::release);
        return started;
    }

    /** The sagas this node is working on now, whose leases the heartbeat renews. */
    public Set<UUID> inHand() {
        return Set.copyOf(inHand);
    }

    private void dispatchLoop() {
        while (running) {
            awaitSignal(config.pollInterval());
            try {
                claimWhileSlotsFree();
            } catch (RuntimeException e) {
                LOG.warnf("Claiming sagas failed, trying again at the next poll: %s", e.getMessage());
            }
        }
    }

    private void claimWhileSlotsFree() {
        while (running) {
            int free = slots.availablePermits();
            if (free == 0) {
                moreWork = true;
                return;
            }
            int wanted = Math.min(free, config.claimBatch());
            if (!slots.tryAcquire(wanted)) {
                continue; // a submission took a slot meanwhile
            }
            List<ExecutionStore.Started> claimed = List.of();
            try {
                claimed = runner.claim(wanted, this::wakeAfter);
            } finally {
                slots.release(wanted - claimed.size());
            }
            for (ExecutionStore.Started started : claimed) {
                UUID id = started.id();
                inHand.add(id);
                Thread.ofVirtual().name("saga-" + id).start(() -> runClaimed(started));
            }
            moreWork = claimed.size() == wanted;
            if (!moreWork) {
                return;
            }
        }
    }

    private void wakeAfter(Duration delay) {
        if (running) {
            timers.schedule(this::wake, delay.toMillis() + 5, TimeUnit.MILLISECONDS);
        }
    }

    private void runClaimed(ExecutionStore.Started started) {
        try {
            runner.run(started, this::wakeAfter);
        } finally {
            inHand.remove(started.id());
            slots.release();
            if (moreWork) {
                wake();
            }
        }
    }

    private void awaitSignal(Duration timeout) {
        lock.lock();
        try {
            long nanos = timeout.toNanos();
            while (!woken && running && nanos > 0) {
                nanos = signal.awaitNanos(nanos);
            }
            woken = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        } finally {
            lock.unlock();
        }
    }
}
