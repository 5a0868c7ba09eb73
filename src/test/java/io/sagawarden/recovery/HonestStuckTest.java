package io.sagawarden.recovery;

import static io.restassured.RestAssured.given;
import static io.sagawarden.testing.SagaBuilder.aSaga;
import static io.sagawarden.testing.TestParticipant.delayed;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.sagawarden.testing.Db;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.Management;
import io.sagawarden.testing.TestParticipant;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A freshly started service, and stuck means stuck with the real monitor on its real schedule: a call slower than {@code stuck-after} but within
 * its own timeout, and a saga waiting for the lock of that slow holder, are left alone.
 */
@QuarkusTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@TestProfile(HonestStuckTest.QuickToSuspect.class)
class HonestStuckTest {

    public static class QuickToSuspect implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("saga.recovery.stuck-after", "PT3S", "saga.recovery.interval", "PT1S");
        }
    }

    @ConfigProperty(name = "quarkus.datasource.jdbc.url")
    String jdbcUrl;

    private static String submit(String json) {
        return given().contentType(ContentType.JSON).body(json).post("/api/v1/sagas").then().statusCode(201)
                .extract().path("id");
    }

    @Test
    @Order(1)
    void metrics_without_client_chosen_labels_are_there_from_the_start() {
        String metrics = Management.metrics();
        for (String series : List.of("lock_wait_duration_seconds_count 0.0", "lock_wait_timeouts_total 0.0",
                "deadlock_detection_duration_seconds_count", "deadlock_victims_skipped_total 0.0", "wait_for_graph_edges",
                "saga_cluster_leader", "sagas_active", "sagas_waiting", "sagas_stuck", "locks_held",
                "deadlocks_detected_total{resolution_method=\"abort_saga\"} 0.0")) {
            assertThat(metrics).as("series %s", series).contains(series);
        }
    }

    @Test
    @Order(2)
    void a_nine_second_call_with_a_thirty_second_timeout_is_called_once_and_completes() {
        String resource = "slow:" + UUID.randomUUID();
        try (TestParticipant participant = TestParticipant.start()) {
            participant.on("/slow", delayed(Duration.ofSeconds(9), TestParticipant.ok()));
            String holder = submit(aSaga().type("SlowHolderSaga")
                    .step("slow", participant.url("/slow")).withLock(resource, "EXCLUSIVE").withActionTimeout("PT30S")
                    .withCompensation(participant.url("/undo-slow")).json());
            Eventually.await("the slow call", Duration.ofSeconds(10), () -> participant.calls("/slow").size(), n -> n == 1);
            String waiter = submit(aSaga().type("PatientSaga")
                    .step("after", participant.url("/after")).withLock(resource, "EXCLUSIVE").json());

            for (String id : List.of(holder, waiter)) {
                Eventually.await("saga " + id + " to complete", Duration.ofSeconds(30),
                        () -> given().get("/api/v1/sagas/" + id).then().extract().path("status"), "COMPLETED"::equals);
            }

            assertThat(participant.calls("/slow")).as("never called again while in flight").hasSize(1);
            assertThat(participant.calls("/undo-slow")).isEmpty();
            Db db = Db.ofUrl(jdbcUrl);
            String ids = "('" + holder + "', '" + waiter + "')";
            assertThat(db.rows("SELECT saga_id, kind, summary FROM alerts WHERE saga_id IN " + ids)).as("no alert").isEmpty();
            assertThat(db.count("SELECT count(*) FROM saga_events WHERE saga_id IN " + ids + " AND kind LIKE 'STUCK%'"))
                    .isZero();
            assertThat(db.count("SELECT recovery_count FROM sagas WHERE id = '" + holder + "'")).isZero();
        }
    }
}
