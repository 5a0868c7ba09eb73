package io.sagawarden.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.sagawarden.testing.Management;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Saga types and step names come from clients, so the series they label are bounded: 20 new saga types with 50 new
 * step names each, all ending compensated with every step compensated, add fewer than 2,000 lines to /q/metrics,
 * and what is over the caps is counted as "other" rather than dropped. Without the caps the two call histograms
 * alone would add over 30,000 lines.
 */
@QuarkusTest
@TestProfile(BoundedLabelsTest.ProductionCaps.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BoundedLabelsTest {

    /** The production defaults, which the other tests raise. */
    public static class ProductionCaps implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("saga.metrics.max-saga-types", "50", "saga.metrics.max-step-names", "30",
                    "saga.metrics.max-series-per-metric", "500", "saga.metrics.known-saga-types", "KnownSaga");
        }
    }

    @Inject
    SagaMetrics metrics;

    @Test
    @Order(1)
    void twenty_new_types_with_fifty_new_steps_each_add_fewer_than_2000_lines() {
        long before = Management.metrics().lines().count();
        for (int type = 0; type < 20; type++) {
            for (int step = 0; step < 50; step++) {
                String name = "step-" + type + "-" + step;
                metrics.participantCall(name, "200", Duration.ofMillis(3));
                metrics.participantCall(name + ":compensation", "200", Duration.ofMillis(2));
                metrics.compensated("Flood" + type, name, "STEP_FAILED");
            }
            metrics.sagaEnded("Flood" + type, "COMPENSATED", Duration.ofMillis(20 + type));
        }
        String text = Management.metrics();
        long added = text.lines().count() - before;
        System.out.printf("BoundedLabelsTest: 20 types x 50 steps added %d lines to /q/metrics%n", added);

        assertThat(added).isLessThan(2_000);
        assertThat(text).contains("saga_compensations_total{reason=\"STEP_FAILED\",saga_type=\"Flood19\",step=\"other\"} 50.0")
                .contains("saga_type=\"Flood0\"").contains("transaction_type=\"other\"")
                .contains("transaction_type=\"step-0-0:compensation\"");
        // Counted, not dropped: every compensation is in some series.
        double total = text.lines().filter(l -> l.startsWith("saga_compensations_total{") && l.contains("Flood"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
        assertThat(total).isEqualTo(1000.0);
    }

    @Test
    @Order(2)
    void a_known_type_keeps_its_name_past_the_caps() {
        for (int type = 0; type < 60; type++) {
            metrics.sagaEnded("Crowd" + type, "COMPLETED", Duration.ofMillis(5));
        }
        metrics.sagaEnded("KnownSaga", "COMPLETED", Duration.ofMillis(5));
        assertThat(Management.metrics()).contains("sagas_completed_total{saga_type=\"KnownSaga\"}")
                .contains("sagas_completed_total{saga_type=\"other\"}");
    }
}
