package io.sagawarden.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Rows the retention purge deleted, per table. */
// Created at start-up, so its series exist (at zero) before the first purge.
@Startup
@ApplicationScoped
public class RetentionMetrics {

    private final Map<String, Counter> purged;

    public RetentionMetrics(MeterRegistry registry) {
        purged = Stream.of("sagas", "deadlocks", "alerts", "alert_deliveries").collect(Collectors.toMap(
                Function.identity(), table -> Counter.builder("saga.retention.purged")
                        .description("Rows deleted by the retention purge (a saga's steps and history go with it)")
                        .tag("table", table).register(registry)));
    }

    public void purged(String table, int rows) {
        purged.get(table).increment(rows);
    }
}
