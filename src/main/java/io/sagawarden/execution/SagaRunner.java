package io.sagawarden.execution;

import io.sagawarden.metrics.SagaMetrics;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
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
    /** How long a saga rests after this node failed on it unexpectedly, so a bad saga cannot spin. */
    private static final Duration AFTER_INTERNAL_FAILURE = Duration.ofSeconds(5);

    private final ExecutionStore store;
    private final ParticipantClient client;
    private final SagaMetrics metrics;
    private final NodeIdentity node;
    private final Clock clock;
    private final SagaMachine machine;

    public SagaRunner(ExecutionStore store, ParticipantClient client, SagaMetrics metrics, NodeIdentity node,
                      Clock clock, ExecutionConfig config) {
        this.store = store;
        this.client = client;
        this.metrics = metrics;
        this.node = node;
        this.clock = clock;
        ExecutionConfig.RetryDefaults a = config.actionRetry();
        ExecutionConfig.CompensationRetry c = config.compensationRetry();
        this.machine = new SagaMachine(
                new Backoff(a.maxAttempts(), a.initialBackoff(), a.multiplier(), a.maxBackoff()),
                new Backoff(c.maxAttempts(), c.initialBackoff(), c.multiplier(), c.maxBackoff()),
                () -> ThreadLocalRandom.current().nextDouble());
    }

    /** Runs the saga; {@code retryAt} hears when it should be looked at again, if it now waits for a retry. */
    public void run(UUID sagaId, Consumer<Duration> retryAt) {
        MDC.put("sagaId", sagaId.toString());
        try {
            SagaRun run = store.load(sagaId);
            Optional<PlannedCall> next = step(run, r -> machine.advance(r, clock.instant()), retryAt);
            while (next.isPresent()) {
                PlannedCall call = next.get();
                CallResult result = client.call(run, call, "");
                String step = run.steps().get(call.stepIndex()).name();
                metrics.participantCall(call.kind() == CallKind.ACTION ? step : step + ":compensation",
                        result.metricStatus(), result.duration());
                next = step(run, r -> machine.afterCall(r, call, result, clock.instant()), retryAt);
            }
        } catch (LostSagaException e) {
            LOG.debugf("%s", e.getMessage());
        } catch (RuntimeException e) {
            LOG.errorf(e, "Running saga %s failed; it will be picked up again", sagaId);
            try {
                store.release(sagaId, node.id(), AFTER_INTERNAL_FAILURE);
                retryAt.accept(AFTER_INTERNAL_FAILURE);
            } catch (RuntimeException releaseFailure) {
                LOG.warnf("Could not give saga %s back (%s); its lease will expire", sagaId, releaseFailure.getMessage());
            }
        } finally {
            MDC.remove("sagaId");
        }
    }

    private Optional<PlannedCall> step(SagaRun run, java.util.function.Function<SagaRun, Optional<PlannedCall>> decide,
                                       Consumer<Duration> retryAt) {
        Optional<PlannedCall> next = store.transition(run, node.id(), decide);
        publish(run);
        if (run.retryAfter() != null) {
            retryAt.accept(run.retryAfter());
        }
        run.clearChanges();
        return next;
    }

    /** Metrics follow committed transitions only, so a rolled-back transition never counts. */
    private void publish(SagaRun run) {
        for (SagaRun.Event event : run.events()) {
            switch (event.kind()) {
                case "COMPLETED", "COMPENSATED", "FAILED" -> {
                    Object ms = event.detail().get("durationMs");
                    Duration took = ms instanceof Number n ? Duration.ofMillis(n.longValue()) : Duration.ZERO;
                    metrics.sagaEnded(run.type(), event.kind(), took);
                    LOG.infof("Saga %s (%s) ended %s%s", run.id(), run.type(), event.kind(),
                            run.reason() == null ? "" : " (" + run.reason() + ")");
                }
                case "STEP_COMPENSATED" -> metrics.compensated(run.type(), event.step(), run.reason().name());
                default -> {
                }
            }
        }
    }
}
