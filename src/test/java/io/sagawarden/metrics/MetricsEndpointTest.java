package io.sagawarden.metrics;

import static io.restassured.RestAssured.given;
import static io.sagawarden.testing.SagaBuilder.aSaga;
import static io.sagawarden.testing.TestParticipant.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.Management;
import io.sagawarden.testing.SagaBuilder;
import io.sagawarden.testing.TestParticipant;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** /q/metrics publishes the metrics DESIGN.md names, with their labels, and never a saga id as a label value. */
@QuarkusTest
class MetricsEndpointTest {

    private static final Set<String> TERMINAL = Set.of("COMPLETED", "COMPENSATED", "FAILED");
    private static final String COMPLETES = "MetricsProbeCompletingSaga";
    private static final String COMPENSATES = "MetricsProbeCompensatedSaga";

    static {
        RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
    }

    @Inject
    SagaGauges gauges;

    private TestParticipant participant;

    @BeforeEach
    void startParticipant() {
        participant = TestParticipant.start();
    }

    @AfterEach
    void stopParticipant() {
        participant.close();
    }

    @Test
    void metrics_endpoint_publishes_the_contract_names_with_bounded_labels() {
        participant.on("/metrics-charge", json(400, "{\"error\": \"card declined\"}"));
        String completed = submit(aSaga().type(COMPLETES)
                .step("metrics-reserve", participant.url("/metrics-reserve"))
                .withCompensation(participant.url("/metrics-release"))
                .step("metrics-ship", participant.url("/metrics-ship")));
        String compensated = submit(aSaga().type(COMPENSATES)
                .step("metrics-hold", participant.url("/metrics-hold"))
                .withCompensation(participant.url("/metrics-unhold"))
                .step("metrics-charge", participant.url("/metrics-charge")));

        assertThat(awaitEnd(completed).getString("status")).isEqualTo("COMPLETED");
        JsonPath failed = awaitEnd(compensated);
        assertThat(failed.getString("status")).isEqualTo("COMPENSATED");
        assertThat(failed.getString("reason")).isEqualTo("STEP_FAILED");
        gauges.runOnce();

        // Metrics follow the committed transition, so they may trail the saga view by a moment.
        String text = Eventually.await("the ended sagas in /q/metrics", Duration.ofSeconds(10),
                () -> given().port(Management.port()).accept("text/plain").get("/q/metrics").then().statusCode(200)
                        .extract().asString(),
                t -> t.contains("saga_type=\"" + COMPLETES + "\"") && t.contains("saga_type=\"" + COMPENSATES + "\"")
                        && t.lines().anyMatch(l -> l.startsWith("sagas_completed_total{") && l.contains(COMPLETES))
                        && t.lines().anyMatch(l -> l.startsWith("sagas_failed_total{") && l.contains(COMPENSATES)));
        List<String> samples = text.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).toList();

        // saga_execution_duration_seconds {saga_type, status}
        assertThat(samples).anySatisfy(l -> assertThat(l)
                .startsWith("saga_execution_duration_seconds_bucket{")
                .contains("saga_type=\"" + COMPLETES + "\"").contains("status=\"COMPLETED\"").contains("le=\""));
        assertThat(samples).anySatisfy(l -> assertThat(l)
                .startsWith("saga_execution_duration_seconds_bucket{")
                .contains("saga_type=\"" + COMPENSATES + "\"").contains("status=\"COMPENSATED\"").contains("le=\""));
        assertThat(value(samples, "saga_execution_duration_seconds_count", COMPLETES, "status=\"COMPLETED\""))
                .isEqualTo(1.0);
        assertThat(value(samples, "saga_execution_duration_seconds_count", COMPENSATES, "status=\"COMPENSATED\""))
                .isEqualTo(1.0);

        // distributed_transaction_duration_seconds {transaction_type, status}: one participant call
        assertThat(samples).anySatisfy(l -> assertThat(l)
                .startsWith("distributed_transaction_duration_seconds_bucket{")
                .contains("transaction_type=\"metrics-reserve\"").contains("status=\"").contains("le=\""));
        assertThat(samples).anySatisfy(l -> assertThat(l)
                .startsWith("distributed_transaction_duration_seconds_bucket{")
                .contains("transaction_type=\"metrics-charge\"").contains("status=\"").contains("le=\""));

        // saga_compensations_total {saga_type, step, reason}
        assertThat(value(samples, "saga_compensations_total", COMPENSATES, "step=\"metrics-hold\"",
                "reason=\"STEP_FAILED\"")).isEqualTo(1.0);

        // Counters from which PromQL derives rates and the success rate.
        assertThat(value(samples, "sagas_completed_total", COMPLETES)).isEqualTo(1.0);
        assertThat(value(samples, "sagas_failed_total", COMPENSATES)).isEqualTo(1.0);

        // Gauges read from PostgreSQL.
        for (String gauge : List.of("sagas_active", "sagas_waiting", "sagas_failed_pending", "locks_held")) {
            assertThat(samples).as("gauge %s", gauge)
                    .anySatisfy(l -> assertThat(l).matches(Pattern.quote(gauge) + "(\\{[^}]*})? [0-9.eE+-]+"));
        }

        // Label values are bounded: never a saga id.
        for (String id : List.of(completed, compensated)) {
            assertThat(text.lines().filter(l -> l.contains(id)).toList()).as("metric lines naming saga %s", id)
                    .isEmpty();
        }
    }

    /** The value of the one sample of {@code metric} for {@code sagaType} whose labels contain {@code labels}. */
    private static double value(List<String> samples, String metric, String sagaType, String... labels) {
        List<String> matching = samples.stream()
                .filter(l -> l.startsWith(metric + "{"))
                .filter(l -> l.contains("saga_type=\"" + sagaType + "\""))
                .filter(l -> List.of(labels).stream().allMatch(l::contains))
                .toList();
        assertThat(matching).as("%s for %s with %s", metric, sagaType, List.of(labels)).hasSize(1);
        String line = matching.getFirst();
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }

    private static String submit(SagaBuilder saga) {
        return given().contentType(ContentType.JSON).body(saga.json()).post("/api/v1/sagas")
                .then().statusCode(201).extract().path("id");
    }

    private static JsonPath awaitEnd(String id) {
        return Eventually.await("saga " + id + " to end", Duration.ofSeconds(20),
                () -> given().get("/api/v1/sagas/" + id).then().statusCode(200).extract().jsonPath(),
                v -> TERMINAL.contains(v.getString("status")));
    }
}
