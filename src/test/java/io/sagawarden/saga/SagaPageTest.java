package io.sagawarden.saga;

import static io.restassured.RestAssured.given;
import static io.sagawarden.testing.SagaBuilder.aSaga;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.Sagas;
import io.sagawarden.testing.TestParticipant;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What an operator sees of a saga beyond its status: its payload, each request as it is sent (a secret never), each
 * participant call with its outcome, when a retry is due, and running an ended saga again.
 */
@QuarkusTest
class SagaPageTest {

    /** The test profile's secret test-token (application.properties). */
    private static final String SECRET = "test-token-4d1f9a";

    private TestParticipant participant;

    static {
        RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
    }

    @BeforeEach
    void start() {
        participant = TestParticipant.start();
    }

    @AfterEach
    void stop() {
        participant.close();
    }

    private static Response rerun(String id, String idempotencyKey) {
        var request = given().contentType(ContentType.JSON).header("Saga-Operator", "otto");
        if (idempotencyKey != null) {
            request.header("Idempotency-Key", idempotencyKey);
        }
        return request.post("/api/v1/sagas/" + id + "/rerun");
    }

    @Test
    void the_page_shows_the_payload_each_request_as_sent_with_its_secret_redacted_and_every_call() {
        participant.on("/reserve", TestParticipant.json(201, "{\"reservationId\": \"r-9\"}"));
        String order = aSaga().type("CreateOrderSaga").payload("{\"orderId\": \"o-1\", \"sku\": \"sku/42\", \"qty\": 2}")
                .step("reserve-stock", participant.url("/reserve?sku={{payload.sku}}"))
                .withActionHeader("Authorization", "Bearer {{secrets.test-token}}")
                .withActionBody("{\"sku\": \"{{payload.sku}}\", \"qty\": \"{{payload.qty}}\"}")
                .withCompensation(participant.url("/release"))
                .withCompensationBody("{\"reservationId\": \"{{steps.reserve-stock.response.reservationId}}\"}")
                .step("charge", participant.url("/charge"))
                .withActionBody("{\"reservation\": \"{{steps.reserve-stock.response.reservationId}}\"}").json();

        JsonPath submitted = given().contentType(ContentType.JSON).body(order).post("/api/v1/sagas")
                .then().statusCode(201).extract().jsonPath();
        String id = submitted.getString("id");
        assertThat(submitted.getString("payload.orderId")).isEqualTo("o-1");
        assertThat(submitted.getString("steps[0].request.headers.Authorization")).isEqualTo("Bearer [redacted]");
        assertThat(submitted.getString("steps[1].request")).as("its template names a reply not yet there").isNull();
        assertThat(submitted.getString("steps[1].requestNote"))
                .isEqualTo("template {{steps.reserve-stock.response.reservationId}} resolved to nothing");
        JsonPath saga = Sagas.awaitEnd(id);

        assertThat(saga.getString("status")).isEqualTo("COMPLETED");
        assertThat(saga.getInt("payload.qty")).isEqualTo(2);
        assertThat(saga.getString("nextAttemptAt")).isNull();
        Map<String, Object> reserve = saga.getMap("steps[0].request");
        assertThat(reserve.get("method")).isEqualTo("POST");
        assertThat((String) reserve.get("url")).endsWith("/reserve?sku=sku%2F42");
        assertThat(participant.calls("/reserve").getFirst().query()).as("what was sent").isEqualTo("sku=sku%2F42");
        assertThat(saga.getMap("steps[0].request.headers")).containsEntry("Authorization", "Bearer [redacted]")
                .containsEntry("Idempotency-Key", id + ":reserve-stock:action").containsEntry("Saga-Id", id)
                .containsEntry("Saga-Step", "reserve-stock");
        assertThat(saga.getMap("steps[0].request.body")).containsEntry("sku", "sku/42").containsEntry("qty", 2);
        assertThat(saga.getString("steps[1].request.body.reservation")).isEqualTo("r-9");
        assertThat(saga.getString("steps[1].requestNote")).isNull();
        assertThat(saga.getString("steps[0].compensation.request.body.reservationId")).isEqualTo("r-9");
        assertThat(saga.getString("steps[1].compensation.request")).isNull();
        assertThat(participant.calls("/reserve").getFirst().header("Authorization")).isEqualTo("Bearer " + SECRET);
        assertThat(given().get("/api/v1/sagas/" + id).asString()).doesNotContain(SECRET);

        List<Map<String, Object>> calls = saga.getList("steps[0].calls");
        assertThat(calls).singleElement().satisfies(call -> {
            assertThat(call).containsEntry("kind", "action").containsEntry("run", 1).containsEntry("attempt", 1)
                    .containsEntry("status", 201).containsEntry("outcome", "SUCCEEDED").containsEntry("error", null)
                    .containsEntry("retryAt", null);
            assertThat(call.get("at")).isNotNull();
            assertThat(call.get("durationMs")).isNotNull();
        });
        assertThat(saga.getInt("steps[0].callsOmitted")).isZero();
        assertThat(saga.getList("actions")).containsExactly("rerun");
    }

    @Test
    void a_saga_waiting_out_a_retry_delay_shows_when_it_tries_again_and_an_operator_may_cut_the_wait_short() {
        participant.on("/flaky", TestParticipant.failFirst(1, 503, TestParticipant.ok()));
        String id = Sagas.submit(aSaga().type("FlakySaga").step("flaky", participant.url("/flaky")).withRetry(3, "PT5S"));

        JsonPath waiting = Eventually.await("a retry to be scheduled", Duration.ofSeconds(10), () -> Sagas.view(id),
                v -> v.getList("steps[0].calls").size() == 1 && v.getString("nextAttemptAt") != null);

        Instant next = Instant.parse(waiting.getString("nextAttemptAt"));
        // Equal jitter: between half of and the whole 5 s after the failed call.
        assertThat(next).isAfter(Instant.now()).isBefore(Instant.now().plusSeconds(6));
        assertThat(waiting.getString("status")).isEqualTo("RUNNING");
        Map<String, Object> failed = waiting.getMap("steps[0].calls[0]");
        assertThat(failed).containsEntry("status", 503).containsEntry("outcome", "RETRYABLE").containsEntry("attempt", 1);
        assertThat((String) failed.get("error")).contains("503");
        assertThat(Duration.between(next, Instant.parse((String) failed.get("retryAt"))).abs()).isLessThan(Duration.ofSeconds(1));
        assertThat(waiting.getList("actions")).as("no node holds a saga between attempts").contains("retry");

        given().contentType(ContentType.JSON).post("/api/v1/sagas/" + id + "/retry").then().statusCode(202);
        JsonPath ended = Sagas.awaitEnd(id);

        assertThat(ended.getString("status")).isEqualTo("COMPLETED");
        assertThat(ended.getList("steps[0].calls.attempt")).containsExactly(1, 2);
        assertThat(ended.getString("steps[0].calls[1].outcome")).isEqualTo("SUCCEEDED");
        assertThat(ended.getString("nextAttemptAt")).isNull();
    }

    @Test
    void an_ended_saga_runs_again_as_a_new_saga_linked_both_ways_and_a_retried_rerun_finds_it() {
        String original = Sagas.submit(aSaga().type("RerunSaga").priority(7).label("tenant", "acme")
                .payload("{\"n\": 1}").step("one", participant.url("/one")));
        Sagas.awaitEnd(original);
        String key = "rerun-" + original;

        Response first = rerun(original, key);

        first.then().statusCode(201).body("type", equalTo("RerunSaga")).body("priority", equalTo(7))
                .body("labels.tenant", equalTo("acme")).body("payload.n", equalTo(1)).body("rerunOf", equalTo(original));
        String copy = first.path("id");
        assertThat(copy).isNotEqualTo(original);
        assertThat(first.header("Location")).endsWith("/api/v1/sagas/" + copy);
        assertThat(Sagas.awaitEnd(copy).getString("status")).isEqualTo("COMPLETED");
        assertThat(participant.calls("/one")).extracting(c -> c.header("Idempotency-Key"))
                .containsExactly(original + ":one:action", copy + ":one:action");

        rerun(original, key).then().statusCode(200).body("id", equalTo(copy));
        assertThat(Sagas.view(original).getList("reruns")).containsExactly(copy);
        List<Map<String, Object>> history = given().get("/api/v1/sagas/" + original + "/events").then().extract().path("$");
        assertThat(history.getLast()).containsEntry("kind", "RERUN_SUBMITTED")
                .containsEntry("detail", Map.of("sagaId", copy, "by", "otto", "idempotencyKey", key));
        Map<String, Object> submitted = given().get("/api/v1/sagas/" + copy + "/events").then().extract().path("[0]");
        assertThat(submitted).containsEntry("kind", "SUBMITTED")
                .containsEntry("detail", Map.of("submitter", "anonymous", "rerunOf", original, "by", "otto"));

        String another = rerun(original, null).then().statusCode(201).extract().path("id");
        assertThat(Sagas.view(original).getList("reruns")).containsExactly(copy, another);
        assertThat(Sagas.view(original).getList("actions")).containsExactly("rerun");
    }

    @Test
    void a_saga_that_has_not_ended_or_does_not_exist_is_not_run_again() {
        participant.on("/hold", TestParticipant.delayed(Duration.ofSeconds(5), TestParticipant.ok()));
        String running = Sagas.submit(aSaga().type("HeldSaga").step("hold", participant.url("/hold")));
        Eventually.await("the held call", Duration.ofSeconds(10), () -> participant.calls("/hold").size(), n -> n == 1);

        rerun(running, null).then().statusCode(409).contentType("application/problem+json")
                .body("detail", equalTo("saga " + running + " is RUNNING; only a saga that has ended can be run again"));
        assertThat(Sagas.view(running).getList("actions")).doesNotContain("rerun");
        assertThat(Sagas.view(running).getList("reruns")).isEmpty();
        rerun(UUID.randomUUID().toString(), null).then().statusCode(404).contentType("application/problem+json");
        rerun("not-a-saga", null).then().statusCode(404);
        rerun(running, "k".repeat(201)).then().statusCode(400).body("errors[0].field", equalTo("Idempotency-Key"));
        given().post("/api/v1/sagas/" + running + "/rerun").then().statusCode(415);

        assertThat(Sagas.awaitEnd(running).getString("status")).isEqualTo("COMPLETED");
        rerun(running, null).then().statusCode(201).body("rerunOf", equalTo(running));
    }
}
