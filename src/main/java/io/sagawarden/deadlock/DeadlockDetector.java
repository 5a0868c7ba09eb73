package io.sagawarden.deadlock;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.sagawarden.cluster.Leadership;
import io.sagawarden.db.PgListener;
import io.sagawarden.db.WorkSignal;
import io.sagawarden.metrics.DeadlockMetrics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Finds sagas that wait on each other in a cycle and aborts a victim of each. A round runs shortly after any
 * saga starts waiting (debounced) and on a sweep every {@code saga.deadlock.interval}, on the leader only,
 * one at a time, and is skipped when the wait tables have not changed since the last complete round.
 */
@ApplicationScoped
public class DeadlockDetector {

    private static final Logger LOG = Logger.getLogger(DeadlockDetector.class);

    private final DeadlockStore store;
    private final Leadership leadership;
    private final DeadlockMetrics metrics;
    private final DeadlockConfig config;
    private final PgListener listener;
    private final Clock clock;
    private final ScheduledExecutorService rounds = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("deadlock-detector").daemon().factory());
    /** The next round scheduled for a wait or a retry; guarded by this. */
    private ScheduledFuture<?> nextRound;
    private volatile String lastFingerprint;
    private volatile long lastRoundEnded = System.nanoTime() - TimeUnit.DAYS.toNanos(1);
    /** Its round outcomes come from the round thread only. */
    private final RoundPacing pacing;

    public DeadlockDetector(DeadlockStore store, Leadership leadership, DeadlockMetrics metrics, DeadlockConfig config,
                            PgListener listener, Clock clock) {
        this.store = store;
        this.leadership = leadership;
        this.metrics = metrics;
        this.config = config;
        this.listener = listener;
        this.clock = clock;
        this.pacing = new RoundPacing(config.debounce(), config.interval());
    }

    /** What one round found and did. */
    public record Round(boolean skipped, int edges, int victims, int skippedVictims, Duration took) {
    }

    void start(@Observes StartupEvent event) {
        listener.listen(WorkSignal.WAITS_CHANNEL, payload -> requestRound());
    }

    void stop(@Observes ShutdownEvent event) {
        rounds.shutdownNow();
    }

    /** A saga started waiting: a round soon (see {@link RoundPacing}). */
    public void requestRound() {
        roundAfter(pacing.afterWait(Duration.ofNanos(System.nanoTime() - lastRoundEnded)));
    }

    /**
     * Runs a round after {@code delay}, unless one is due sooner already; a round due later (a retry backing
     * off) is brought forward, so a new wait is never kept waiting behind a retry.
     */
    private synchronized void roundAfter(Duration delay) {
        if (!leadership.isLeader()) {
            return;
        }
        long delayMs = Math.max(0, delay.toMillis());
        if (nextRound != null && !nextRound.isDone()) {
            if (nextRound.getDelay(TimeUnit.MILLISECONDS) <= delayMs) {
                return;
            }
            nextRound.cancel(false);
        }
        nextRound = rounds.schedule(this::scheduledRound, delayMs, TimeUnit.MILLISECONDS);
    }

    private void scheduledRound() {
        synchronized (this) {
            // The round now due is this one: from here on, a wait or a retry needs a round of its own.
            if (nextRound != null && nextRound.getDelay(TimeUnit.NANOSECONDS) <= 0) {
                nextRound = null;
            }
        }
        guarded();
        lastRoundEnded = System.nanoTime();
    }

    @Scheduled(every = "${saga.deadlock.interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void sweep() {
        if (leadership.isLeader()) {
            // The sweep always looks, changed or not: it is also the backstop for a wake-up that got lost.
            rounds.submit(() -> {
                lastFingerprint = null;
                guarded();
            });
        } else {
            metrics.notLeading();
            lastFingerprint = null;
        }
    }

    /**
     * Runs a round; when it could not settle everything it saw (it failed, or spared a victim whose cycle
     * changed under it), looks again soon, backing off while that keeps happening, instead of leaving a
     * deadlock that may still stand to the sweep.
     */
    private void guarded() {
        boolean settled;
        try {
            settled = runOnce().skippedVictims() == 0;
        } catch (RuntimeException e) {
            lastFingerprint = null;
            settled = false;
            LOG.errorf(e, "A deadlock detector round failed; the next one retries");
        }
        pacing.afterRound(settled).ifPresent(this::roundAfter);
    }

    /** One round: load the graph, find the deadlocked groups, abort their victims. */
    public Round runOnce() {
        long started = System.nanoTime();
        String fingerprint = store.fingerprint();
        if (fingerprint.equals(lastFingerprint)) {
            return new Round(true, -1, 0, 0, Duration.ofNanos(System.nanoTime() - started));
        }
        DeadlockStore.Waits waits = store.waits();
        store.wake(waits.unblocked());
        WaitForGraph graph = new WaitForGraph(waits.edges(), waits.queues());
        Instant now = clock.instant();
        Map<UUID, SagaNode> nodes = store.nodes(DeadlockFinder.sagasInDeadlockedGroups(graph));
        List<DeadlockFinder.Resolution> resolutions = DeadlockFinder.resolve(graph, nodes, now);
        List<Optional<UUID>> outcomes = store.abortVictims(resolutions, nodes, now);
        int aborted = 0;
        int skipped = 0;
        for (int i = 0; i < resolutions.size(); i++) {
            DeadlockFinder.Resolution resolution = resolutions.get(i);
            if (outcomes.get(i).isPresent()) {
                aborted++;
                metrics.detected("abort_saga");
                LOG.warnf("Deadlock %s: aborted saga %s (%s) of a %d-saga cycle", outcomes.get(i).get(),
                        resolution.victim().id(), resolution.why(), resolution.cycle().size());
            } else {
                skipped++;
                metrics.victimSkipped();
                LOG.infof("Deadlock victim %s skipped: its cycle changed before the abort", resolution.victim().id());
            }
        }
        // A skipped victim means the graph must be looked at again, even if the waits look the same.
        lastFingerprint = skipped == 0 ? fingerprint : null;
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        metrics.round(took, graph.edgeCount());
        return new Round(false, graph.edgeCount(), aborted, skipped, took);
    }
}
