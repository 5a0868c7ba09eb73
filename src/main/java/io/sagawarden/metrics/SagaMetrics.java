package io.sagawarden.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
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
