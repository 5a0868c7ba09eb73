package io.sagawarden.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;
import io.sagawarden.saga.SagaEvent;
import io.sagawarden.saga.SagaReason;
import io.sagawarden.saga.SagaRecorded;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import java.time.Duration;

/** Lock-manager metrics: how long sagas wait for their locks, and how often they give up. */
// Created at start-up, so its series exist (at zero) before anything happens.
@Startup
@ApplicationScoped
public class LockMetrics {

    private static final Duration[] WAIT_BUCKETS = {Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
        Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
        Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
        Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(300)};

    private final Timer waits;
    private final Counter timeouts;

    public LockMetrics(MeterRegistry registry) {
        this.waits = Timer.builder("lock.wait.duration").description("Time from queueing for a step's locks to their grant")
                .serviceLevelObjectives(WAIT_BUCKETS).register(registry);
        this.timeouts = Counter.builder("lock.wait.timeouts").description("Sagas that gave up waiting (LOCK_TIMEOUT)")
                .register(registry);
    }

    /** Lock waits and lock timeouts of committed transitions. */
    void onRecorded(@Observes(during = TransactionPhase.AFTER_SUCCESS) SagaRecorded recorded) {
        recorded.all(SagaEvent.LocksGranted.class).filter(e -> e.waited() != null).forEach(e -> waited(e.waited()));
        recorded.all(SagaEvent.Compensating.class).filter(e -> e.reason() == SagaReason.LOCK_TIMEOUT)
                .forEach(e -> timedOut());
    }

    public void waited(Duration duration) {
        waits.record(duration);
    }

    public void timedOut() {
        timeouts.increment();
    }
}
