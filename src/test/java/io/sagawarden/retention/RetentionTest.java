package io.sagawarden.retention;

import static io.restassured.RestAssured.given;
import static io.sagawarden.testing.SagaBuilder.aSaga;
import static io.sagawarden.testing.Sagas.awaitEnd;
import static io.sagawarden.testing.Sagas.submit;
import static io.sagawarden.testing.TestParticipant.json;
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
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * With a five-second retention purged every second, two rows at a time: ended sagas go with their steps and history
 * within seconds, FAILED and running sagas stay; old deadlock records, resolved alerts and delivered notifications
 * go, while open alerts and notifications not yet delivered stay.
 */
@QuarkusTest
@TestProfile(RetentionTest.ShortRetention.class)
class RetentionTest {

    public static class ShortRetention implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("saga.retention.ended", "PT5S", "saga.retention.interval", "PT1S",
                    "saga.retention.batch-size", "2", "saga.retention.pause", "PT0S");
        }
    }

    @ConfigProperty(name = "quarkus.datasource.jdbc.url")
    String jdbcUrl;

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
    void ended_sagas_go_with_their_history_within_seconds_while_failed_and_running_ones_stay() {
        participant.on("/refuse", json(400, "{}"));
        participant.on("/broken-undo", json(500, "{}"));
        participant.on("/hang", participant.hang());
        String completed = submit(aSaga().type("Kept5s").step("a", participant.url("/ok")).step("b", participant.url("/ok")));
        String compensated = submit(aSaga().type("Kept5s").step("a", participant.url("/ok"))
                .withCompensation(participant.url("/undo")).step("b", participant.url("/refuse")));
        String failed = submit(aSaga().type("Kept5s").step("a", participant.url("/ok"))
                .withCompensation(participant.url("/broken-undo")).step("b", participant.url("/refuse")));
        String running = submit(aSaga().type("Kept5s").step("a", participant.url("/hang")));
        assertThat(awaitEnd(completed).getString("status")).isEqualTo("COMPLETED");
        assertThat(awaitEnd(compensated).getString("status")).isEqualTo("COMPENSATED");
        assertThat(awaitEnd(failed).getString("status")).isEqualTo("FAILED");
        Db db = Db.ofUrl(jdbcUrl);
        assertThat(db.count("SELECT count(*) FROM saga_events WHERE saga_id = '" + completed + "'")).isPositive();

        for (String gone : new String[] {completed, compensated}) {
            Eventually.await("saga " + gone + " purged", Duration.ofSeconds(20),
                    () -> given().get("/api/v1/sagas/" + gone).statusCode(), status -> status == 404);
            assertThat(db.count("SELECT count(*) FROM saga_steps WHERE saga_id = '" + gone + "'")).isZero();
            assertThat(db.count("SELECT count(*) FROM saga_events WHERE saga_id = '" + gone + "'")).isZero();
        }
        // Two more rounds after the ended sagas went, every saga here older than the retention.
        sleep(Duration.ofSeconds(2));
        given().get("/api/v1/sagas/" + failed).then().statusCode(200);
        given().get("/api/v1/sagas/" + running).then().statusCode(200);
        assertThat(db.count("SELECT count(*) FROM saga_events WHERE saga_id = '" + failed + "'")).isPositive();
        assertThat(purged("sagas")).isGreaterThanOrEqualTo(2);

        given().contentType(ContentType.JSON).post("/api/v1/sagas/" + running + "/abort").then().statusCode(202);
    }

    @Test
    void old_records_go_but_open_alerts_and_pending_notifications_stay() {
        Db db = Db.ofUrl(jdbcUrl);
        UUID deadlock = UUID.randomUUID();
        db.execute("INSERT INTO deadlocks (id, detected_at, resolution, victim, cycle, text) VALUES ('" + deadlock
                + "', now() - interval '1 hour', 'ABORT_SAGA', '{}', '[]', 'old')");
        UUID resolved = alert("RESOLVED", "now() - interval '1 hour'");
        delivery(resolved, "now() - interval '1 hour'");
        UUID resolvedUndelivered = alert("RESOLVED", "now() - interval '1 hour'");
        delivery(resolvedUndelivered, null);
        UUID open = alert("OPEN", null);

        Eventually.await("old records purged", Duration.ofSeconds(20),
                () -> db.count("SELECT count(*) FROM deadlocks WHERE id = '" + deadlock + "'")
                        + db.count("SELECT count(*) FROM alerts WHERE id = '" + resolved + "'"),
                left -> left == 0);
        assertThat(db.count("SELECT count(*) FROM alert_deliveries WHERE alert_id = '" + resolved + "'")).isZero();
        sleep(Duration.ofSeconds(2));
        assertThat(db.count("SELECT count(*) FROM alerts WHERE id IN ('" + resolvedUndelivered + "', '" + open + "')"))
                .as("an open alert, and a resolved one with a notification still to send").isEqualTo(2);
        assertThat(db.count("SELECT count(*) FROM alert_deliveries WHERE alert_id = '" + resolvedUndelivered + "'"))
                .isEqualTo(1);
        assertThat(purged("deadlocks")).isGreaterThanOrEqualTo(1);
        assertThat(purged("alerts")).isGreaterThanOrEqualTo(1);
        db.execute("DELETE FROM alerts WHERE id IN ('" + resolvedUndelivered + "', '" + open + "')");
    }

    private UUID alert(String state, String resolvedAt) {
        UUID id = UUID.randomUUID();
        Db.ofUrl(jdbcUrl).execute("INSERT INTO alerts (id, kind, severity, summary, description, state, created_at, resolved_at)"
                + " VALUES ('" + id + "', 'STUCK', 'warning', 'retention test', 'retention test', '" + state + "', "
                + "now() - interval '2 hours', " + resolvedAt + ")");
        return id;
    }

    /** A notification, delivered at {@code deliveredAt} or, when null, pending and not due for a day. */
    private void delivery(UUID alert, String deliveredAt) {
        Db.ofUrl(jdbcUrl).execute("INSERT INTO alert_deliveries (alert_id, sink, payload, next_attempt_at, delivered_at)"
                + " VALUES ('" + alert + "', 'webhook:http://127.0.0.1:9/', '{}', now() + interval '1 day', "
                + deliveredAt + ")");
    }

    private static double purged(String table) {
        Matcher m = Pattern.compile("(?m)^saga_retention_purged_total\\{[^}]*table=\"" + table + "\"[^}]*} (\\S+)$")
                .matcher(Management.metrics());
        assertThat(m.find()).as("saga_retention_purged_total for %s", table).isTrue();
        return Double.parseDouble(m.group(1));
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
