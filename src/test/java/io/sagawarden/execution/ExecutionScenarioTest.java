package io.sagawarden.execution;

import static io.restassured.RestAssured.given;
import static io.sagawarden.testing.SagaBuilder.aSaga;
import static io.sagawarden.testing.TestParticipant.delayed;
import static io.sagawarden.testing.TestParticipant.failFirst;
import static io.sagawarden.testing.TestParticipant.json;
import static io.sagawarden.testing.TestParticipant.raw;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.sagawarden.testing.Db;
import io.sagawarden.metrics.SagaGauges;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.Management;
import io.sagawarden.testing.SagaBuilder;
import io.sagawarden.testing.TestParticipant;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What a submitter sees when sagas run against real HTTP participants. */
@QuarkusTest
class ExecutionScenarioTest {

    private static final Set<String> TERMINAL = Set.of("COMPLETED", "COMPENSATED", "FAILED");

    private TestParticipant participant;

    @Inject
    SagaGauges gauges;

    @ConfigProperty(name = "quarkus.datasource.jdbc.url")
    String jdbcUrl;

    static {
        RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
    }

    @BeforeEach
    void startParticipant() {
        participant = TestParticipant.start();
    }

    @AfterEach
    void stopParticipant() {
        participant.close();
    }

    static String submit(SagaBuilder saga) {
        return given().contentType(ContentType.JSON).body(saga.json()).post("/api/v1/sagas")
                .then().statusCode(201).extract().path("id");
    }

    static JsonPath view(String id) {
        return given().get("/api/v1/sagas/" + id).then().statusCode(200).extract().jsonPath();
    }

    static JsonPath awaitEnd(String id) {
        return Eventually.await("saga " + id + " to end", Duration.ofSeconds(20), () -> view(id),
                v -> TERMINAL.contains(v.getString("status")));
    }

    static List<String> eventKinds(String id) {
        return given().get("/api/v1/sagas/" + id + "/events").then().statusCode(200).extract().path("kind");
    }

    @Test
    void a_saga_whose_participants_answer_completes_with_every_step_called_once_in_order() {
        String id = submit(aSaga().type("CreateOrderSaga")
                .step("reserve", participant.url("/reserve")).withCompensation(participant.url("/release"))
                .step("charge", participant.url("/charge")).withCompensation(participant.url("/refund"))
                .step("ship", participant.url("/ship")));

        JsonPath saga = awaitEnd(id);

        assertThat(saga.getString("status")).isEqualTo("COMPLETED");
        assertThat(saga.getString("reason")).isNull();
        assertThat(saga.getString("endedAt")).isNotNull();
        assertThat(saga.getList("steps.status")).containsOnly("SUCCEEDED");
        assertThat(saga.getList("steps.attempts")).containsOnly(1);
        assertThat(saga.getList("steps.compensation.status")).containsExactly("NOT_STARTED", "NOT_STARTED", "NOT_NEEDED");
        assertThat(participant.paths()).containsExactly("/reserve", "/charge", "/ship");
        TestParticipant.Call first = participant.calls("/reserve").getFirst();
        assertThat(first.header("Idempotency-Key")).isEqualTo(id + ":reserve:action");
        assertThat(first.header("Saga-Id")).isEqualTo(id);
        assertThat(first.header("Saga-Step")).isEqualTo("reserve");
        assertThat(first.header("Saga-Attempt")).isEqualTo("1");
        assertThat(first.headers()).containsKey("saga-fencing-tokens");
        assertThat(eventKinds(id)).containsSubsequence("SUBMITTED", "STARTED", "STEP_STARTED", "ACTION_CALLED",
                "STEP_SUCCEEDED", "COMPLETED");
        List<String> times = given().get("/api/v1/sagas/" + id + "/events").then().extract().path("at");
        assertThat(times.stream().map(java.time.Instant::parse))
                .as("one clock: the saga never ends before its last event").allSatisfy(at ->
                        assertThat(at).isBeforeOrEqualTo(java.time.Instant.parse(saga.getString("endedAt"))));
    }

    @Test
    void templates_fill_urls_headers_and_bodies_from_the_payload_and_earlier_responses() {
        participant.on("/reserve", json(201, "{\"reservationId\": \"r-9\", \"lines\": [{\"qty\": 2}]}"));
        String id = submit(aSaga().payload("{\"orderId\": \"o-1\", \"qty\": 2, \"customer\": {\"tier\": \"gold\"}}")
                .step("reserve", participant.url("/reserve"))
                .withActionBody("{\"order\": \"{{payload.orderId}}\", \"qty\": \"{{payload.qty}}\", \"customer\": \"{{payload.customer}}\"}")
                .withCompensation(participant.url("/release/{{steps.reserve.response.reservationId}}"))
                .step("charge", participant.url("/orders/{{payload.orderId}}/charge"))
                .withActionBody("{\"reservation\": \"ref {{steps.reserve.response.reservationId}}\", \"qty\": \"{{steps.reserve.response.lines.0.qty}}\"}"));

        JsonPath saga = awaitEnd(id);

        assertThat(saga.getString("status")).isEqualTo("COMPLETED");
        assertThat(saga.getString("steps[0].response.reservationId")).isEqualTo("r-9");
        assertThat(SagaBuilder.parse(participant.calls("/reserve").getFirst().body()))
                .isEqualTo(SagaBuilder.parse("{\"order\": \"o-1\", \"qty\": 2, \"customer\": {\"tier\": \"gold\"}}"));
        assertThat(participant.calls("/orders/o-1/charge")).hasSize(1);
        assertThat(SagaBuilder.parse(participant.calls("/orders/o-1/charge").getFirst().body()))
                .isEqualTo(SagaBuilder.parse("{\"reservation\": \"ref r-9\", \"qty\": 2}"));
    }

    @Test
    void a_participant_that_fails_twice_with_503_is_retried_and_the_saga_completes() {
        participant.on("/flaky", failFirst(2, 503, TestParticipant.ok()));
        String id = submit(aSaga().step("flaky", participant.url("/flaky")).withRetry(3, "PT0.1S"));

        JsonPath saga = awaitEnd(id);

        assertThat(saga.getString("status")).isEqualTo("COMPLETED");
        assertThat(saga.getInt("steps[0].attempts")).isEqualTo(3);
        assertThat(participant.calls("/flaky")).extracting(c -> c.header("Saga-Attempt")).containsExactly("1", "2", "3");
        assertThat(participant.calls("/flaky")).extracting(c -> c.header("Idempotency-Key")).containsOnly(id + ":flaky:action");
        assertThat(eventKinds(id)).contains("STEP_RETRY_SCHEDULED");
    }

    @Test
    void a_4xx_fails_the_step_at_once_and_the_completed_steps_are_compensated_in_reverse_order() {
        participant.on("/ship", json(409, "{\"error\": \"no stock\"}"));
        String id = submit(aSaga()
                .step("reserve", participant.url("/reserve")).withCompensation(participant.url("/release"))
                .step("charge", participant.url("/charge")).withCompensation(participant.url("/refund"))
                .step("ship", participant.url("/ship")).withCompensation(participant.url("/unship"))
                .withRetry(5, "PT0.1S")
                .step("notify", participant.url("/notify")));

        JsonPath saga = awaitEnd(id);

        assertThat(saga.getString("status")).isEqualTo("COMPENSATED");
        assertThat(saga.getString("reason")).isEqualTo("STEP_FAILED");
        assertThat(saga.getList("steps.status")).containsExactly("SUCCEEDED", "SUCCEEDED", "FAILED", "SKIPPED");
        assertThat(saga.getString("steps[2].lastError")).contains("409");
        assertThat(saga.getInt("steps[2].attempts")).isEqualTo(1);
        assertThat(saga.getList("steps.compensation.status"))
                .containsExactly("COMPENSATED", "COMPENSATED", "NOT_NEEDED", "NOT_NEEDED");
        assertThat(participant.paths()).containsExactly("/reserve", "/charge", "/ship", "/refund", "/release");
        assertThat(participant.calls("/refund").getFirst().header("Idempotency-Key")).isEqualTo(id + ":charge:compensation");
    }

    @Test
    void a_compensation_that_fails_a_few_times_is_retried_until_it_succeeds() {
        participant.on("/charge", json(400, "{}"));
        participant.on("/release", failFirst(3, 500, TestParticipant.ok()));
        String id = submit(aSaga()
                .step("reserve", participant.url("/reserve")).withCompensation(participant.url("/release"))
                .step("charge", participant.url("/charge")));

        JsonPath saga = awaitEnd(id);

        assertThat(saga.getString("status")).isEqualTo("COMPENSATED");
        assertThat(saga.getString("steps[0].compensation.status")).isEqualTo("COMPENSATED");
        assertThat(saga.getInt("steps[0].compensation.attempts")).isEqualTo(4);
        assertThat(participant.calls("/release")).hasSize(4);
    }

    @Test
    void a_compensation_answered_404_or_410_counts_as_done() {
        participant.on("/charge", json(400, "{}"));
        participant.on("/release", json(404, "{}"));
        participant.on("/unhold", json(410, "{}"));
        String id = submit(aSaga()
                .step("hold", participant.url("/hold")).withCompensation(participant.url("/unhold"))
                .step("reserve", participant.url("/reserve")).withCompensation(participant.url("/release"))
                .step("charge", participant.url("/charge")));

        assertThat(awaitEnd(id).getString("status")).isEqualTo("COMPENSATED");
    }

    @Test
    void a_compensation_that_keeps_failing_ends_the_saga_failed_and_an_operator_retry_finishes_it() {
        participant.on("/charge", json(400, "{}"));
        participant.on("/release", json(500, "{}"));
        String id = submit(aSaga()
                .step("reserve", participant.url("/reserve")).withCompensation(participant.url("/release"))
                .step("charge", participant.url("/charge")));

        JsonPath failed = awaitEnd(id);

        assertThat(failed.getString("status")).isEqualTo("FAILED");
        assertThat(failed.getString("reason")).isEqualTo("COMPENSATION_FAILED");
        assertThat(failed.getString("steps[0].compensation.status")).isEqualTo("FAILED");
        assertThat(failed.getInt("steps[0].compensation.attempts")).isEqualTo(10);
        assertThat(failed.getString("steps[0].compensation.lastError")).contains("500");
        gauges.runOnce();
        double failedSagas = failedGauge();
        assertThat(failedSagas).as("sagas_failed_pending, which the SagaWardenSagasFailed rule pages on").isGreaterThanOrEqualTo(1);

        participant.on("/release", TestParticipant.ok());
        given().contentType(ContentType.JSON).post("/api/v1/sagas/" + id + "/retry").then().statusCode(202);
        JsonPath retried = awaitEnd(id);
        assertThat(retried.getString("status")).isEqualTo("COMPENSATED");
        gauges.runOnce();
        assertThat(failedGauge()).isEqualTo(failedSagas - 1);
        assertThat(retried.getString("reason")).isEqualTo("STEP_FAILED");
        assertThat(retried.getString("steps[0].compensation.status")).isEqualTo("COMPENSATED");
        given().contentType(ContentType.JSON).post("/api/v1/sagas/" + id + "/retry").then().statusCode(409)
                .contentType("application/problem+json");
    }

    @Test
    void a_participant_that_does_not_answer_in_time_fails_the_step_and_is_compensated_itself() {
        participant.on("/slow", participant.hang());
        String id = submit(aSaga()
                .step("reserve", participant.url("/reserve")).withCompensation(participant.url("/release"))
                .step("slow", participant.url("/slow")).withCompensation(participant.url("/undo-slow"))
                .withActionTimeout("PT0.3S").withRetry(1, "PT0.1S"));

        JsonPath saga = awaitEnd(id);

        assertThat(saga.getString("status")).isEqualTo("COMPENSATED");
        assertThat(saga.getString("steps[1].status")).isEqualTo("FAILED");
        assertThat(saga.getString("steps[1].lastError")).contains("no answer within PT0.3S");
        // It may have taken effect at the participant, so it is compensated too, newest first.
        assertThat(saga.getList("steps.compensation.status")).containsExactly("COMPENSATED", "COMPENSATED");
        assertThat(participant.paths()).containsSubsequence("/slow", "/undo-slow", "/release");
    }

    @Test
    void a_saga_past_its_timeout_compensates_with_saga_timeout() {
        participant.on("/busy", json(503, "{}"));
        String id = submit(aSaga().timeout("PT1S")
                .step("reserve", participant.url("/reserve")).withCompensation(participant.url("/release"))
                .step("busy", participant.url("/busy")).withRetry(100, "PT0.1S"));

        JsonPath saga = awaitEnd(id);

        assertThat(saga.getString("status")).isEqualTo("COMPENSATED");
        assertThat(saga.getString("reason")).isEqualTo("SAGA_TIMEOUT");
        assertThat(participant.calls("/release")).hasSize(1);
        assertThat(participant.calls("/busy").size()).isBetween(2, 20);
    }

    @Test
    void an_operator_abort_during_a_call_lets_the_call_finish_then_compensates_it_and_skips_the_rest() {
        participant.on("/charge", delayed(Duration.ofMillis(800), TestParticipant.ok()));
        String id = submit(aSaga()
                .step("reserve", participant.url("/reserve")).withCompensation(participant.url("/release"))
                .step("charge", participant.url("/charge")).withCompensation(participant.url("/refund"))
                .step("ship", participant.url("/ship")));
        Eventually.await("the charge call", Duration.ofSeconds(10), () -> participant.calls("/charge").size(), n -> n > 0);

        given().contentType(ContentType.JSON).post("/api/v1/sagas/" + id + "/abort").then().statusCode(202);
        given().contentType(ContentType.JSON).post("/api/v1/sagas/" + id + "/abort").then().statusCode(202);
        JsonPath saga = awaitEnd(id);

        assertThat(saga.getString("status")).isEqualTo("COMPENSATED");
        assertThat(saga.getString("reason")).isEqualTo("OPERATOR_ABORT");
        assertThat(saga.getList("steps.status")).containsExactly("SUCCEEDED", "SUCCEEDED", "SKIPPED");
        assertThat(participant.paths()).containsExactly("/reserve", "/charge", "/refund", "/release");
        assertThat(eventKinds(id)).contains("ABORT_REQUESTED");
        given().contentType(ContentType.JSON).post("/api/v1/sagas/" + id + "/abort").then().statusCode(409).contentType("application/problem+json");
    }

    @Test
    void abort_and_retry_of_an_unknown_saga_are_404() {
        given().contentType(ContentType.JSON).post("/api/v1/sagas/" + java.util.UUID.randomUUID() + "/abort").then().statusCode(404)
                .contentType("application/problem+json");
        given().contentType(ContentType.JSON).post("/api/v1/sagas/" + java.util.UUID.randomUUID() + "/retry").then().statusCode(404)
                .contentType("application/problem+json");
    }

    @Test
    void a_reply_that_is_not_json_fails_the_step_with_a_clear_error() {
        participant.on("/text", raw(200, "text/plain", "OK".getBytes(StandardCharsets.UTF_8), Map.of()));
        String id = submit(aSaga().step("text", participant.url("/text")).withCompensation(participant.url("/untext")));

        JsonPath saga = awaitEnd(id);

        assertThat(saga.getString("status")).isEqualTo("COMPENSATED");
        assertThat(saga.getString("steps[0].lastError")).contains("not JSON");
        // A 2xx means the participant did it: it is compensated.
        assertThat(participant.calls("/untext")).hasSize(1);
    }

    @Test
    void a_reply_over_256_kib_fails_the_step_with_a_clear_error() {
        byte[] huge = ("{\"blob\": \"" + "x".repeat(300 * 1024) + "\"}").getBytes(StandardCharsets.UTF_8);
        participant.on("/huge", raw(200, "application/json", huge, Map.of()));
        String id = submit(aSaga().step("huge", participant.url("/huge")));

        JsonPath saga = awaitEnd(id);

        assertThat(saga.getString("status")).isEqualTo("COMPENSATED");
        assertThat(saga.getString("steps[0].lastError")).contains("larger than 262144 bytes");
        assertThat(saga.getString("steps[0].response")).isNull();
    }

    @Test
    void a_redirect_is_not_followed_and_fails_the_step() {
        participant.on("/moved", raw(302, null, new byte[0], Map.of("Location", participant.url("/elsewhere"))));
        String id = submit(aSaga().step("moved", participant.url("/moved")));

        JsonPath saga = awaitEnd(id);

        assertThat(saga.getString("status")).isEqualTo("COMPENSATED");
        assertThat(saga.getString("steps[0].lastError")).contains("302").contains("redirects are not followed");
        assertThat(participant.calls("/elsewhere")).isEmpty();
    }

    @Test
    void a_template_that_resolves_to_nothing_fails_the_step_without_calling() {
        participant.on("/reserve", json(200, "{\"other\": 1}"));
        String id = submit(aSaga()
                .step("reserve", participant.url("/reserve")).withCompensation(participant.url("/release"))
                .step("charge", participant.url("/charge"))
                .withActionBody("{\"reservation\": \"{{steps.reserve.response.reservationId}}\"}"));

        JsonPath saga = awaitEnd(id);

        assertThat(saga.getString("status")).isEqualTo("COMPENSATED");
        assertThat(saga.getString("steps[1].status")).isEqualTo("FAILED");
        assertThat(saga.getString("steps[1].lastError")).contains("steps.reserve.response.reservationId").contains("resolved to nothing");
        assertThat(participant.calls("/charge")).isEmpty();
        assertThat(participant.calls("/release")).hasSize(1);
    }

    @Test
    void a_url_that_leaves_the_allow_list_at_call_time_is_not_called() {
        participant.on("/where", json(200, "{\"path\": \"../../admin\"}"));
        String id = submit(aSaga()
                .step("where", participant.url("/where"))
                .step("go", participant.url("/api/{{steps.where.response.path}}")));

        JsonPath saga = awaitEnd(id);

        assertThat(saga.getString("status")).isEqualTo("COMPENSATED");
        assertThat(saga.getString("steps[1].lastError")).contains("outside the participant allow-list");
        assertThat(participant.paths()).containsExactly("/where");
    }

    @Test
    void a_reply_the_database_cannot_store_fails_the_step_once_and_costs_no_call_outside_the_retry_policy() {
        byte[] nul = "{\"note\": \"a\\u0000b\"}".getBytes(StandardCharsets.UTF_8);
        participant.on("/nul", raw(200, "application/json", nul, Map.of()));
        participant.on("/nul-again", raw(200, "application/json", nul, Map.of()));
        String once = submit(aSaga().step("nul", participant.url("/nul")).withCompensation(participant.url("/un-nul"))
                .withRetry(1, "PT0.1S"));
        String three = submit(aSaga().step("nul", participant.url("/nul-again")).withRetry(3, "PT0.1S"));

        JsonPath saga = awaitEnd(once);
        awaitEnd(three);

        assertThat(participant.calls("/nul")).as("maxAttempts 1: one call").hasSize(1);
        assertThat(participant.calls("/nul-again")).as("a 2xx that cannot be used fails at once (API.md)").hasSize(1);
        assertThat(saga.getString("status")).isEqualTo("COMPENSATED");
        assertThat(saga.getString("steps[0].lastError")).contains("cannot be kept").contains("NUL");
        assertThat(participant.calls("/un-nul")).as("a 2xx may have taken effect").hasSize(1);
    }

    @Test
    void an_error_reply_the_database_cannot_store_is_retried_exactly_as_the_policy_says() {
        byte[] nul = "{\"error\": \"x\\u0000\\ud800\"}".getBytes(StandardCharsets.UTF_8);
        participant.on("/down", raw(503, "application/json", nul, Map.of("Retry-After", "1")));
        String id = submit(aSaga().step("down", participant.url("/down")).withRetry(3, "PT0.1S"));

        JsonPath saga = awaitEnd(id);

        assertThat(participant.calls("/down")).hasSize(3);
        assertThat(saga.getString("steps[0].lastError")).startsWith("gave up after 3 attempts");
    }

    @Test
    void an_outcome_the_database_refuses_anyway_is_recorded_once_without_what_it_refused() throws Exception {
        // Whatever the checks before it miss: here a trigger refuses one reply the way PostgreSQL refuses data.
        try (AutoCloseable refusing = Db.ofUrl(jdbcUrl).refusingReplies("refuse-me")) {
            participant.on("/marked", json(200, "{\"mark\": \"refuse-me\"}"));
            String id = submit(aSaga().step("marked", participant.url("/marked")).withCompensation(participant.url("/unmark"))
                    .withRetry(5, "PT0.1S"));

            JsonPath saga = awaitEnd(id);

            assertThat(participant.calls("/marked")).as("never called again for a failed save").hasSize(1);
            assertThat(saga.getString("status")).isEqualTo("COMPENSATED");
            assertThat(saga.getString("steps[0].lastError")).contains("could not be stored");
            assertThat(participant.calls("/unmark")).hasSize(1);
        }
    }

    private static double failedGauge() {
        Matcher m = Pattern.compile("(?m)^sagas_failed_pending (\\S+)$").matcher(Management.metrics());
        assertThat(m.find()).as("the sagas_failed_pending gauge").isTrue();
        return Double.parseDouble(m.group(1));
    }
}
