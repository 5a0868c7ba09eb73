package io.sagawarden.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sagawarden.saga.SagaEvent;
import io.sagawarden.saga.SagaRecorded;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import java.time.Duration;

/**
 * The execution metrics, named as the Grafana dashboard expects (DESIGN.md). Label values are bounded:
 * saga types, step names, statuses and reasons, never a saga id.
 */
@ApplicationScoped
public class SagaMetrics {

    private static final Duration[] SAGA_BUCKETS = seconds(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300);
    private static final Duration[] CALL_BUCKETS = seconds(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60);

    private final MeterRegistry registry;

    public SagaMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Counts what committed transitions recorded: ended sagas and compensated steps. */
    void onRecorded(@Observes(during = TransactionPhase.AFTER_SUCCESS) SagaRecorded recorded) {
        recorded.all(SagaEvent.Ended.class).forEach(e -> sagaEnded(recorded.type(), e.status().name(),
                e.took() == null ? Duration.ZERO : e.took()));
        // The event's own reason: a saga that restarts has none any more once the transition is done.
        recorded.all(SagaEvent.StepCompensated.class).forEach(e -> compensated(recorded.type(), e.step(), e.reason().name()));
    }

    /** A saga reached a terminal status after running for {@code duration}. */
    public void sagaEnded(String sagaType, String status, Duration duration) {
        Timer.builder("saga.execution.duration")
                .description("Saga run time from start to its terminal status")
                .tags("saga_type", sagaType, "status", status)
                .serviceLevelObjectives(SAGA_BUCKETS)
                .register(registry)
                .record(duration);
        if (status.equals("COMPLETED")) {
            Counter.builder("sagas.completed").description("Sagas that completed")
                    .tag("saga_type", sagaType).register(registry).increment();
        } else {
            Counter.builder("sagas.failed").description("Sagas that ended compensated or failed")
                    .tags("saga_type", sagaType, "status", status).register(registry).increment();
        }
    }

    /** One participant call of a step's action or compensation. */
    public void participantCall(String transactionType, String status, Duration duration) {
        Timer.builder("distributed.transaction.duration")
                .description("One participant call of a saga step")
                .tags("transaction_type", transactionType, "status", status)
                .serviceLevelObjectives(CALL_BUCKETS)
                .register(registry)
                .record(duration);
    }

    public void compensated(String sagaType, String step, String reason) {
        Counter.builder("saga.compensations").description("Steps compensated")
                .tags("saga_type", sagaType, "step", step, "reason", reason)
                .register(registry).increment();
    }

    private static Duration[] seconds(double... values) {
        Duration[] out = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Duration.ofNanos(Math.round(values[i] * 1e9));
        }
        return out;
    }
}
