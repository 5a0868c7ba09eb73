package io.sagawarden.recovery;

import static io.restassured.RestAssured.given;
import static io.sagawarden.testing.SagaBuilder.aSaga;
import static io.sagawarden.testing.TestParticipant.delayed;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.sagawarden.alert.AlertDelivery;
import io.sagawarden.testing.Db;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.SagaBuilder;
import io.sagawarden.testing.StuckSagas;
import io.sagawarden.testing.TestParticipant;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The monitor's cases, run directly with the clock moved forward, and alert delivery through sinks that fail
 * before they work. The sinks are a real loopback HTTP server on a fixed port the profile configures.
 */
@QuarkusTest
@TestProfile(RecoveryMonitorTest.WithSinks.class)
class RecoveryMonitorTest {

    static final int SINK_PORT = 18766;

    public static class WithSinks implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("saga.alerts.webhook-urls", "http://127.0.0.1:" + SINK_PORT + "/hook",
                    "saga.alerts.alertmanager-urls", "http://127.0.0.1:" + SINK_PORT + "/am",
                    "saga.alerts.delivery-interval", "PT0.2S",
                    "saga.alerts.max-backoff", "PT0.5S");
        }
    }

    private static final Set<String> TERMINAL = Set.of("COMPLETED", "COMPENSATED", "FAILED");

    @Inject
    RecoveryMonitor monitor;

    @Inject
    AlertDelivery delivery;

    @ConfigProperty(name = "quarkus.datasource.jdbc.url")
    String jdbcUrl;

    private TestParticipant participant;
    private TestParticipant sinks;
    private Db db;

    static {
        RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
    }

    @BeforeEach
    void start() {
        participant = TestParticipant.start();
        sinks = TestParticipant.start(SINK_PORT);
        db = Db.ofUrl(jdbcUrl);
    }

    @AfterEach
    void stop() {
        participant.close();
        sinks.close();
    }

    static String submit(SagaBuilder saga) {
        return given().contentType(ContentType.JSON).body(saga.json()).post("/api/v1/sagas")
                .then().statusCode(201).extract().path("id");
    }

    static JsonPath view(String id) {
        return given().get("/api/v1/sagas/" + id).then().statusCode(200).extract().jsonPath();
    }

    private List<Map<String, Object>> alertsOf(String sagaId) {
        return db.rows("SELECT kind, severity, state, metadata::text AS metadata, description FROM alerts WHERE saga_id = '"
                + sagaId + "' ORDER BY created_at");
    }

    private Instant later(Duration by) {
        return Instant.now().plus(by);
    }

    @Test
    void a_saga_running_longer_than_its_type_expects_raises_a_warning_that_resolves_when_it_ends() {
        participant.on("/slow", delayed(Duration.ofMillis(1500), TestParticipant.ok()));
        String id = submit(aSaga().type("UserRegistrationSaga").step("slow", participant.url("/slow")));
        Eventually.await("the call", Duration.ofSeconds(10), () -> participant.calls("/slow").size(), n -> n == 1);

        assertThat(monitor.runOnce(later(Duration.ofMinutes(1))).longRunning()).isZero();
        monitor.runOnce(later(Duration.ofMinutes(3)));

        assertThat(alertsOf(id)).singleElement().satisfies(a -> {
            assertThat(a.get("kind")).isEqualTo("LONG_RUNNING");
            assertThat(a.get("severity")).isEqualTo("warning");
            assertThat(a.get("state")).isEqualTo("OPEN");
        });
        monitor.runOnce(later(Duration.ofMinutes(4)));
        assertThat(alertsOf(id)).as("deduplicated while open").hasSize(1);

        Eventually.await("the saga to end", Duration.ofSeconds(20), () -> view(id).getString("status"), TERMINAL::contains);
        monitor.runOnce(later(Duration.ofMinutes(5)));
        assertThat(alertsOf(id)).singleElement().satisfies(a -> assertThat(a.get("state")).isEqualTo("RESOLVED"));
    }

    @Test
    void a_saga_blocked_by_a_silent_holder_is_stuck_the_holder_is_retried_and_the_waiter_names_it() {
        String resource = "stuck:" + UUID.randomUUID();
        participant.on("/hang", participant.hang());
        String holder = submit(aSaga().type("HolderSaga")
                .step("take", participant.url("/take")).withLock(resource, "EXCLUSIVE")
                .step("hang", participant.url("/hang")).withActionTimeout("PT60S"));
        Eventually.await("the hanging call", Duration.ofSeconds(10), () -> participant.calls("/hang").size(), n -> n == 1);
        String waiter = submit(aSaga().type("WaiterSaga").step("take", participant.url("/take-too")).withLock(resource, "EXCLUSIVE"));
        Eventually.await("the waiter to wait", Duration.ofSeconds(10), () -> view(waiter).getString("status"), "WAITING"::equals);

        RecoveryMonitor.Round round = monitor.runOnce(later(Duration.ofMinutes(6)));

        assertThat(round.stuck()).isGreaterThanOrEqualTo(2);
        Map<String, Object> waiterAlert = alertsOf(waiter).stream().filter(a -> a.get("kind").equals("STUCK")).findFirst().orElseThrow();
        assertThat(waiterAlert.get("severity")).isEqualTo("critical");
        assertThat((String) waiterAlert.get("metadata")).contains("BLOCKED_ON_LOCK")
                .contains("\"stuckHolder\": \"" + holder + "\"");
        assertThat((String) waiterAlert.get("description")).contains(holder);
        Map<String, Object> holderAlert = alertsOf(holder).stream().filter(a -> a.get("kind").equals("STUCK")).findFirst().orElseThrow();
        assertThat((String) holderAlert.get("metadata")).contains("PARTICIPANT_SILENT");
        // Retried: the holder lost its lease to be run again elsewhere, and its step is called once more. The
        // waiter is left alone: recovery acts on the holder in its way.
        assertThat(db.count("SELECT recovery_count FROM sagas WHERE id = '" + holder + "'")).isEqualTo(1);
        assertThat(db.count("SELECT recovery_count FROM sagas WHERE id = '" + waiter + "'")).isZero();
        Eventually.await("the step to be called again", Duration.ofSeconds(10), () -> participant.calls("/hang").size(), n -> n == 2);
        List<String> kinds = given().get("/api/v1/sagas/" + holder + "/events").then().extract().path("kind");
        assertThat(kinds).contains("STUCK_RECOVERY_RETRY");
    }

    @Test
    void a_saga_no_node_can_move_is_stuck_although_it_keeps_resting_until_later() {
        StuckSagas stuck = StuckSagas.ofType(db, "UnmovableSaga");
        String id;
        try {
            id = submit(aSaga().type("UnmovableSaga").step("first", participant.url("/first")));
            Eventually.await("a failed move", Duration.ofSeconds(10),
                    () -> db.count("SELECT failed_moves FROM sagas WHERE id = '" + id + "'"), n -> n >= 1);

            assertThat(monitor.runOnce(later(Duration.ofMinutes(6))).stuck()).isGreaterThanOrEqualTo(1);

            assertThat(alertsOf(id)).filteredOn(a -> a.get("kind").equals("STUCK")).singleElement()
                    .satisfies(a -> assertThat((String) a.get("metadata")).contains("MOVE_FAILING"));
            assertThat(participant.calls("/first")).as("never called: no move was ever made").isEmpty();
        } finally {
            stuck.letMove();
        }
        Eventually.await("the saga to complete once it can move", Duration.ofSeconds(20),
                () -> view(id).getString("status"), "COMPLETED"::equals);
    }

    @Test
    void after_three_retries_a_stuck_saga_is_compensated_with_stuck_recovery() {
        participant.on("/hang", participant.hang());
        String id = submit(aSaga().type("HangingSaga")
                .step("prepare", participant.url("/prepare")).withCompensation(participant.url("/unprepare"))
                .step("hang", participant.url("/hang")).withActionTimeout("PT60S"));
        Eventually.await("the hanging call", Duration.ofSeconds(10), () -> participant.calls("/hang").size(), n -> n == 1);

        for (int i = 1; i <= 3; i++) {
            int round = i;
            Eventually.await("the step running again", Duration.ofSeconds(10), () -> participant.calls("/hang").size(), n -> n == round);
            assertThat(monitor.runOnce(later(Duration.ofMinutes(6))).retried()).isGreaterThanOrEqualTo(1);
        }
        Eventually.await("the fourth call", Duration.ofSeconds(10), () -> participant.calls("/hang").size(), n -> n == 4);
        assertThat(monitor.runOnce(later(Duration.ofMinutes(6))).compensated()).isGreaterThanOrEqualTo(1);

        JsonPath saga = Eventually.await("the saga to end", Duration.ofSeconds(20), () -> view(id),
                v -> TERMINAL.contains(v.getString("status")));
        assertThat(saga.getString("status")).isEqualTo("COMPENSATED");
        assertThat(saga.getString("reason")).isEqualTo("STUCK_RECOVERY");
        assertThat(participant.calls("/unprepare")).hasSize(1);
        monitor.runOnce(later(Duration.ofMinutes(7)));
        assertThat(alertsOf(id)).filteredOn(a -> a.get("kind").equals("STUCK"))
                .allSatisfy(a -> assertThat(a.get("state")).isEqualTo("RESOLVED"));
    }

    @Test
    void a_compensation_that_keeps_failing_after_the_retries_is_a_failed_recovery_for_operators() {
        participant.on("/charge", TestParticipant.json(400, "{}"));
        participant.on("/release", participant.hang());
        String id = submit(aSaga().type("StubbornSaga")
                .step("reserve", participant.url("/reserve")).withCompensation(participant.url("/release"))
                .step("charge", participant.url("/charge")));
        Eventually.await("the compensation call", Duration.ofSeconds(10), () -> participant.calls("/release").size(), n -> n == 1);
        db.execute("UPDATE sagas SET recovery_count = 3 WHERE id = '" + id + "'");

        RecoveryMonitor.Round round = monitor.runOnce(later(Duration.ofMinutes(6)));

        assertThat(round.failed()).isGreaterThanOrEqualTo(1);
        assertThat(alertsOf(id)).extracting(a -> a.get("kind")).contains("STUCK", "RECOVERY_FAILED");
        assertThat(alertsOf(id)).filteredOn(a -> a.get("kind").equals("RECOVERY_FAILED"))
                .singleElement().satisfies(a -> assertThat(a.get("severity")).isEqualTo("critical"));
    }

    @Test
    void alerts_reach_a_webhook_and_alertmanager_that_fail_at_first_and_are_acknowledged_by_operators() {
        sinks.on("/hook", TestParticipant.failFirst(2, 503, TestParticipant.ok()));
        sinks.on("/am/api/v2/alerts", TestParticipant.failFirst(1, 500, TestParticipant.ok()));
        participant.on("/slow", delayed(Duration.ofMillis(1500), TestParticipant.ok()));
        String id = submit(aSaga().type("UserRegistrationSaga").step("slow", participant.url("/slow")));
        Eventually.await("the call", Duration.ofSeconds(10), () -> participant.calls("/slow").size(), n -> n == 1);
        monitor.runOnce(later(Duration.ofMinutes(3)));

        Eventually.await("the webhook delivery", Duration.ofSeconds(20),
                () -> sinks.answers().stream().filter(a -> a.call().path().equals("/hook") && a.status() == 200).count(), n -> n >= 1);
        Eventually.await("the alertmanager delivery", Duration.ofSeconds(20),
                () -> sinks.answers().stream().filter(a -> a.call().path().equals("/am/api/v2/alerts") && a.status() == 200).count(),
                n -> n >= 1);
        JsonPath hook = new JsonPath(sinks.calls("/hook").getLast().body());
        assertThat(hook.getString("kind")).isEqualTo("LONG_RUNNING");
        assertThat(hook.getString("sagaId")).isEqualTo(id);
        JsonPath am = new JsonPath(sinks.calls("/am/api/v2/alerts").getLast().body());
        assertThat(am.getString("[0].labels.alertname")).isEqualTo("SagaLongRunning");
        assertThat(am.getString("[0].labels.severity")).isEqualTo("warning");
        assertThat(am.getString("[0].labels.saga_id")).isEqualTo(id);
        assertThat(am.getString("[0].labels.saga_type")).isEqualTo("UserRegistrationSaga");
        assertThat(am.getString("[0].annotations.summary")).contains(id);
        assertThat(am.getString("[0].endsAt")).isNull();

        String alertId = given().queryParam("state", "OPEN").queryParam("severity", "warning").queryParam("limit", 500)
                .get("/api/v1/alerts").then().statusCode(200).extract().jsonPath()
                .<Map<String, Object>>getList("items").stream().filter(a -> id.equals(a.get("sagaId"))).findFirst()
                .orElseThrow().get("id").toString();
        given().header("Saga-Operator", "alice").contentType(ContentType.JSON).post("/api/v1/alerts/" + alertId + "/ack").then().statusCode(200)
                .body("state", org.hamcrest.Matchers.equalTo("ACKNOWLEDGED"))
                .body("acknowledgedBy", org.hamcrest.Matchers.equalTo("alice"));
        given().contentType(ContentType.JSON).post("/api/v1/alerts/" + alertId + "/ack").then().statusCode(200);
        given().contentType(ContentType.JSON).post("/api/v1/alerts/" + UUID.randomUUID() + "/ack").then().statusCode(404).contentType("application/problem+json");

        // The saga ends: the alert resolves, and Alertmanager hears of it with an end time.
        Eventually.await("the saga to end", Duration.ofSeconds(20), () -> view(id).getString("status"), TERMINAL::contains);
        monitor.runOnce(later(Duration.ofMinutes(4)));
        Eventually.await("the resolution at alertmanager", Duration.ofSeconds(20),
                () -> sinks.calls("/am/api/v2/alerts").stream().filter(c -> c.body().contains("endsAt")).count(), n -> n >= 1);
        given().contentType(ContentType.JSON).post("/api/v1/alerts/" + alertId + "/ack").then().statusCode(409);
        given().queryParam("state", "nope").get("/api/v1/alerts").then().statusCode(400);
        // Every change (raised, acknowledged, resolved) reaches both sinks in the end.
        Eventually.await("every delivery to be made", Duration.ofSeconds(20),
                () -> db.count("SELECT count(*) FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id WHERE a.saga_id = '"
                        + id + "' AND d.delivered_at IS NULL"), n -> n == 0);
    }
}
