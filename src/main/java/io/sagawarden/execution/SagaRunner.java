package io.sagawarden.execution;

import io.sagawarden.cluster.NodeIdentity;
import io.sagawarden.db.Sql;
import io.sagawarden.deadlock.DeadlockConfig;
import io.sagawarden.metrics.SagaMetrics;
import io.sagawarden.participant.CallKind;
import io.sagawarden.participant.CallResult;
import io.sagawarden.participant.ParticipantClient;
import io.sagawarden.participant.ParticipantRequest;
import io.sagawarden.participant.ParticipantSecrets;
import io.sagawarden.participant.ParticipantsConfig;
import io.sagawarden.saga.CallRendering;
import io.sagawarden.saga.SagaEvent;
import io.sagawarden.saga.SagaStatus;
import io.sagawarden.saga.TemplateRenderer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/**
 * Works on one claimed saga until it leaves this node's hands: each participant call is made outside any
 * transaction, and each outcome is saved, together with the start of the next call, in one transaction.
 */
@ApplicationScoped
public class SagaRunner {

    private static final Logger LOG = Logger.getLogger(SagaRunner.class);
    private final ExecutionStore store;
    private final ParticipantClient client;
    private final SagaMetrics metrics;
    private final NodeIdentity node;
    private final Clock clock;
    private final SagaMachine machine;
    private final Duration lease;
    private final CallRequests requests;
    private final SagaSpans spans;

    public SagaRunner(ExecutionStore store, ParticipantClient client, SagaMetrics metrics, NodeIdentity node,
                      Clock clock, ExecutionConfig config, ParticipantsConfig participants,
                      ParticipantSecrets secrets, DeadlockConfig deadlocks, SagaSpans spans) {
        this.store = store;
        this.client = client;
        this.metrics = metrics;
        this.node = node;
        this.clock = clock;
        this.spans = spans;
        this.lease = config.lease();
        ExecutionConfig.RetryDefaults a = config.actionRetry();
        ExecutionConfig.CompensationRetry c = config.compensationRetry();
        this.machine = new SagaMachine(
                new Backoff(a.maxAttempts(), a.initialBackoff(), a.multiplier(), a.maxBackoff()),
                new Backoff(c.maxAttempts(), c.initialBackoff(), c.multiplier(), c.maxBackoff()),
                new Backoff(deadlocks.maxRestarts(), deadlocks.restartBackoff(), 2.0,
                        max(deadlocks.restartBackoff(), deadlocks.restartMaxBackoff())),
                participants.defaultCallTimeout(), () -> ThreadLocalRandom.current().nextDouble());
        this.requests = new CallRequests(participants.defaultCallTimeout(), secrets);
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** Claims up to {@code limit} due sagas and makes their first moves; run each with {@link #run}. */
    public List<ExecutionStore.Started> claim(int limit, Consumer<Duration> retryAt) {
        Instant began = Instant.now();
        List<ExecutionStore.Started> started = store.claim(node.id(), lease, limit,
                (r, locks) -> machine.advance(r, clock.instant(), locks));
        started.forEach(s -> started(s, began, retryAt));
        return started;
    }

    /**
     * Claims the saga just submitted in the caller's transaction and makes its first move there; once that commits,
     * call {@link #started} and run it with {@link #run}. Empty if it could not be started so.
     */
    public Optional<ExecutionStore.Started> startSubmitted(UUID id) {
        return store.startSubmitted(id, node.id(), lease, (r, locks) -> machine.advance(r, clock.instant(), locks));
    }

    /** After the first move of a claimed saga committed, begun at {@code began}. */
    public void started(ExecutionStore.Started started, Instant began, Consumer<Duration> retryAt) {
        if (!started.deferred()) {
            committed(started.run(), began, retryAt);
        }
    }

    /**
     * Works on a claimed saga until it leaves this node's hands; {@code retryAt} hears when it should be
     * looked at again, if it now waits for a retry.
     */
    public void run(ExecutionStore.Started started, Consumer<Duration> retryAt) {
        MDC.put("sagaId", started.id().toString());
        try {
            // A deferred saga comes with no run: its first move is made here, from the stored saga.
            SagaRun run = started.deferred() ? store.load(started.id()) : started.run();
            MDC.put("traceId", run.trace.traceId());
            Optional<PlannedCall> next = started.next();
            if (started.deferred()) {
                Instant began = Instant.now();
                next = store.transition(run, node.id(), (r, locks) -> machine.advance(r, clock.instant(), locks));
                committed(run, began, retryAt);
            }
            while (next.isPresent()) {
                PlannedCall call = next.get();
                CallResult result = call(run, call);
                String step = run.steps().get(call.stepIndex()).name();
                metrics.participantCall(call.kind() == CallKind.ACTION ? step : step + ":compensation",
                        result.metricStatus(), result.duration());
                try {
                    next = record(run, call, result, retryAt);
                } catch (Sql.SqlFailure e) {
                    if (!e.refusedData()) {
                        throw e;
                    }
                    // Trying the same values again would fail the same way and call the participant outside the
                    // step's retry policy: record the outcome once, without what the database refused.
                    LOG.warnf("Saga %s: the outcome of step %s could not be stored as it was (%s); recording it without",
                            run.id(), step, e.sqlState());
                    run = store.load(run.id());
                    next = record(run, call, result.unrecordable(), retryAt);
                }
            }
        } catch (LostSagaException e) {
            LOG.debugf("%s", e.getMessage());
        } catch (Sql.SqlFailure e) {
            // Not the whole exception: the driver's chained messages may repeat the values, a reply among them.
            LOG.errorf("Running saga %s failed (%s); it will be picked up again", started.id(), e.getMessage());
            letGo(started, retryAt);
        } catch (RuntimeException e) {
            LOG.errorf(e, "Running saga %s failed; it will be picked up again", started.id());
            letGo(started, retryAt);
        } finally {
            MDC.remove("sagaId");
            MDC.remove("traceId");
        }
    }

    private CallResult call(SagaRun run, PlannedCall call) {
        SagaSpans.CallSpan span = spans.call(run, call);
        CallResult result;
        try {
            ParticipantRequest request = requests.render(run, call, span.traceparent());
            span.request(request);
            result = client.call(request);
        } catch (TemplateRenderer.UnresolvedTemplateException | CallRendering.TooLarge e) {
            result = CallResult.notCallable(e.getMessage());
        }
        span.end(result);
        return result;
    }

    private Optional<PlannedCall> record(SagaRun run, PlannedCall call, CallResult result, Consumer<Duration> retryAt) {
        Instant began = Instant.now();
        Optional<PlannedCall> next = store.transition(run, node.id(),
                (r, locks) -> machine.afterCall(r, call, result, clock.instant(), locks));
        committed(run, began, retryAt);
        return next;
    }

    /** Gives a saga back after a failure of this node's own, to rest a while before anyone tries again. */
    private void letGo(ExecutionStore.Started started, Consumer<Duration> retryAt) {
        try {
            store.failedMove(started.id(), node.id());
            retryAt.accept(ExecutionStore.AFTER_FAILED_MOVE);
        } catch (RuntimeException releaseFailure) {
            LOG.warnf("Could not give saga %s back (%s); its lease will expire", started.id(), releaseFailure.getMessage());
        }
    }

    /**
     * After a transition committed: its end in the log, its span, the retry timer, and a clean slate for the next
     * one. Metrics observe the committed history themselves ({@link io.sagawarden.saga.SagaRecorded}).
     */
    private void committed(SagaRun run, Instant began, Consumer<Duration> retryAt) {
        spans.transition(run, began);
        for (SagaEvent event : run.events()) {
            if (event instanceof SagaEvent.Ended ended) {
                LOG.logf(ended.status() == SagaStatus.COMPLETED ? Logger.Level.DEBUG : Logger.Level.INFO,
                        "Saga %s (%s) ended %s%s", run.id(), run.type(), ended.status(),
                        ended.reason() == null ? "" : " (" + ended.reason() + ")");
            }
        }
        if (run.retryAfter() != null) {
            retryAt.accept(run.retryAfter());
        }
        run.clearChanges();
    }
}
