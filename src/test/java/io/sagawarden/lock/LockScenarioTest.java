package io.sagawarden.lock;

import static io.restassured.RestAssured.given;
import static io.sagawarden.testing.SagaBuilder.aSaga;
import static io.sagawarden.testing.TestParticipant.delayed;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.SagaBuilder;
import io.sagawarden.testing.TestParticipant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Semantic locks as submitters and operators see them. */
@QuarkusTest
class LockScenarioTest {

    private static final Set<String> TERMINAL = Set.of("COMPLETED", "COMPENSATED", "FAILED");

    private TestParticipant participant;
    private String resource;

    static {
        RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
    }

    @BeforeEach
    void start() {
        participant = TestParticipant.start();
        resource = "sku:" + UUID.randomUUID();
    }

    @AfterEach
    void stop() {
        participant.close();
    }

    static String submit(SagaBuilder saga) {
        return given().contentType(ContentType.JSON).body(saga.json()).post("/api/v1/sagas")
                .then().statusCode(201).extract().path("id");
    }

    static JsonPath view(String id) {
        return given().get("/api/v1/sagas/" + id).then().statusCode(200).extract().jsonPath();
    }

    static JsonPath awaitStatus(String id, Set<String> statuses) {
        return Eventually.await("saga " + id + " in " + statuses, Duration.ofSeconds(20), () -> view(id),
                v -> statuses.contains(v.getString("status")));
    }

    static JsonPath awaitEnd(String id) {
        return awaitStatus(id, TERMINAL);
    }

    /** A saga that locks the resource in its first step and then holds it while its slow second step runs. */
    private SagaBuilder holder(String mode, String slowPath) {
        return aSaga().type("HolderSaga")
                .step("take", participant.url("/take")).withLock(resource, mode)
                .withCompensation(participant.url("/untake"))
                .step("slow", participant.url(slowPath));
    }

    @Test
    void a_long_queue_shows_each_waiter_with_at_most_ten_blockers_nearest_first() {
        participant.on("/hold", participant.hang());
        String first = submit(holder("EXCLUSIVE", "/hold"));
        Eventually.await("the held call", Duration.ofSeconds(10), () -> participant.calls("/hold").size(), n -> n == 1);
        List<String> queued = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            String waiter = submit(aSaga().type("QueuedSaga").step("take", participant.url("/take-queued")).withLock(resource, "EXCLUSIVE"));
            awaitStatus(waiter, Set.of("WAITING"));
            queued.add(waiter);
        }

        JsonPath locks = given().queryParam("resource", resource).get("/api/v1/locks").then().statusCode(200)
                .extract().jsonPath();

        assertThat(locks.getList("waiting.sagaId")).containsExactlyElementsOf(queued);
        assertThat(locks.getList("waiting.blockedByCount", Integer.class)).containsExactlyElementsOf(
                IntStream.rangeClosed(1, 25).boxed().toList());
        assertThat(locks.getList("waiting[24].blockedBy")).hasSize(10)
                .startsWith(first, queued.get(23), queued.get(22));
        assertThat(locks.getList("waiting.blockedBy.flatten()")).hasSize(1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10 * 16);

        // The wait-for graph has a wait per waiter, not per blocker (325): on the holder, then on the one ahead.
        JsonPath whole = given().get("/api/v1/wait-for-graph").then().statusCode(200).extract().jsonPath();
        List<String> waits = new ArrayList<>();
        for (Map<String, Object> edge : whole.<Map<String, Object>>getList("edges")) {
            if (resource.equals(edge.get("resource"))) {
                waits.add(edge.get("waiter") + "->" + edge.get("holder") + " " + edge.get("kind"));
            }
        }
        List<String> expected = new ArrayList<>(List.of(queued.getFirst() + "->" + first + " HARD"));
        for (int i = 1; i < queued.size(); i++) {
            expected.add(queued.get(i) + "->" + queued.get(i - 1) + " SOFT");
        }
        assertThat(waits).containsExactlyInAnyOrderElementsOf(expected);

        // A limit bounds the answer.
        JsonPath graph = given().queryParam("limit", 5).get("/api/v1/wait-for-graph").then().statusCode(200)
                .extract().jsonPath();
        assertThat(graph.getList("edges")).hasSize(5);
        assertThat(graph.getBoolean("truncated")).isTrue();
        assertThat(graph.getInt("edgeCount")).isGreaterThanOrEqualTo(25);
        assertThat(graph.getList("nodes")).hasSizeLessThanOrEqualTo(10);
        assertThat(given().queryParam("format", "dot").queryParam("limit", 5).get("/api/v1/wait-for-graph").asString())
                .contains(" of ").containsPattern("(?s)(->.*){5}").doesNotContainPattern("(?s)(->.*){6}");
        given().queryParam("limit", 0).get("/api/v1/wait-for-graph").then().statusCode(400);
    }

    @Test
    void a_second_exclusive_request_waits_and_is_granted_when_the_holder_ends() {
        participant.on("/slow", delayed(Duration.ofMillis(1500), TestParticipant.ok()));
        String first = submit(holder("EXCLUSIVE", "/slow"));
        awaitStatus(first, Set.of("RUNNING"));
        Eventually.await("the slow call", Duration.ofSeconds(10), () -> participant.calls("/slow").size(), n -> n == 1);
        String second = submit(aSaga().type("WaiterSaga")
                .step("take", participant.url("/take-too")).withLock(resource, "EXCLUSIVE"));

        JsonPath waiting = awaitStatus(second, Set.of("WAITING"));
        assertThat(waiting.getString("waitingFor.resource")).isEqualTo(resource);
        assertThat(waiting.getString("waitingFor.mode")).isEqualTo("EXCLUSIVE");
        assertThat(waiting.getList("waitingFor.blockedBy")).containsExactly(first);
        assertThat(participant.calls("/take-too")).isEmpty();
        JsonPath locks = given().queryParam("resource", resource).get("/api/v1/locks").then().statusCode(200)
                .extract().jsonPath();
        assertThat(locks.getList("held.sagaId")).containsExactly(first);
        assertThat(locks.getList("waiting.sagaId")).containsExactly(second);
        assertThat(locks.getList("waiting.blockedBy[0]")).containsExactly(first);
        assertThat(locks.getInt("waiting[0].position")).isEqualTo(1);

        JsonPath firstDone = awaitEnd(first);
        JsonPath secondDone = awaitEnd(second);
        assertThat(firstDone.getString("status")).isEqualTo("COMPLETED");
        assertThat(secondDone.getString("status")).isEqualTo("COMPLETED");
        assertThat(firstDone.getList("locks")).isEmpty();
        // Fencing tokens only grow per resource, and participants see them on every call.
        String firstToken = participant.calls("/take").getFirst().header("Saga-Fencing-Tokens");
        String secondToken = participant.calls("/take-too").getFirst().header("Saga-Fencing-Tokens");
        assertThat(firstToken).startsWith(resource + "=");
        assertThat(Long.parseLong(secondToken.substring(resource.length() + 1)))
                .isGreaterThan(Long.parseLong(firstToken.substring(resource.length() + 1)));
        List<String> kinds = given().get("/api/v1/sagas/" + second + "/events").then().extract().path("kind");
        assertThat(kinds).containsSubsequence("WAITING_FOR_LOCK", "LOCKS_GRANTED", "COMPLETED");
        given().queryParam("resource", resource).get("/api/v1/locks").then().statusCode(200)
                .extract().jsonPath().getList("held").isEmpty();
    }

    @Test
    void the_saga_view_shows_held_locks_with_their_fencing_tokens() {
        participant.on("/slow", delayed(Duration.ofMillis(2500), TestParticipant.ok()));
        String id = submit(holder("UPDATE", "/slow"));
        Eventually.await("the slow call", Duration.ofSeconds(10), () -> participant.calls("/slow").size(), n -> n == 1);

        JsonPath saga = view(id);

        assertThat(saga.getString("locks[0].resource")).as(saga.prettify()).isEqualTo(resource);
        assertThat(saga.getString("locks[0].mode")).isEqualTo("UPDATE");
        assertThat(saga.getLong("locks[0].fencingToken")).isPositive();
        assertThat(saga.getString("locks[0].grantedAt")).isNotNull();
        assertThat(participant.calls("/slow").getFirst().header("Saga-Fencing-Tokens"))
                .isEqualTo(resource + "=" + saga.getLong("locks[0].fencingToken"));
        awaitEnd(id);
    }

    @Test
    void readers_hold_a_shared_lock_at_the_same_time() {
        participant.on("/slow", delayed(Duration.ofMillis(2500), TestParticipant.ok()));
        String first = submit(holder("SHARED", "/slow"));
        String second = submit(holder("SHARED", "/slow"));

        Eventually.await("both slow calls at once", Duration.ofSeconds(10), () -> participant.calls("/slow").size(),
                n -> n == 2);
        JsonPath locks = given().queryParam("resource", resource).get("/api/v1/locks").then().extract().jsonPath();
        assertThat(locks.getList("held.sagaId")).containsExactlyInAnyOrder(first, second);
        assertThat(awaitEnd(first).getString("status")).isEqualTo("COMPLETED");
        assertThat(awaitEnd(second).getString("status")).isEqualTo("COMPLETED");
    }

    @Test
    void a_waiting_writer_is_not_overtaken_by_later_readers() {
        participant.on("/slow", delayed(Duration.ofMillis(1200), TestParticipant.ok()));
        String reader = submit(holder("SHARED", "/slow"));
        Eventually.await("the reader holds", Duration.ofSeconds(10), () -> participant.calls("/slow").size(), n -> n == 1);
        String writer = submit(aSaga().type("WriterSaga").step("write", participant.url("/write")).withLock(resource, "EXCLUSIVE"));
        awaitStatus(writer, Set.of("WAITING"));
        String lateReader = submit(aSaga().type("LateReaderSaga").step("read", participant.url("/read")).withLock(resource, "SHARED"));

        JsonPath late = awaitStatus(lateReader, Set.of("WAITING"));
        assertThat(late.getList("waitingFor.blockedBy")).containsExactly(writer);
        awaitEnd(reader);
        awaitEnd(writer);
        awaitEnd(lateReader);
        assertThat(participant.paths()).containsSubsequence("/write", "/read");
    }

    @Test
    void a_reader_upgrading_to_exclusive_goes_ahead_of_a_writer_that_queued_first() {
        participant.on("/slow", delayed(Duration.ofMillis(1200), TestParticipant.ok()));
        participant.on("/read-first", delayed(Duration.ofMillis(600), TestParticipant.ok()));
        String otherReader = submit(holder("SHARED", "/slow"));
        Eventually.await("the other reader holds", Duration.ofSeconds(10), () -> participant.calls("/slow").size(), n -> n == 1);
        String upgrader = submit(aSaga().type("UpgradeSaga")
                .step("read", participant.url("/read-first")).withLock(resource, "SHARED")
                .step("write", participant.url("/upgrade-write")).withLock(resource, "EXCLUSIVE"));
        Eventually.await("the upgrader reads", Duration.ofSeconds(10), () -> participant.calls("/read-first").size(), n -> n == 1);
        String writer = submit(aSaga().type("WriterSaga").step("write", participant.url("/plain-write")).withLock(resource, "EXCLUSIVE"));
        awaitStatus(writer, Set.of("WAITING"));

        awaitEnd(otherReader);
        assertThat(awaitEnd(upgrader).getString("status")).isEqualTo("COMPLETED");
        assertThat(awaitEnd(writer).getString("status")).isEqualTo("COMPLETED");
        assertThat(participant.paths()).containsSubsequence("/upgrade-write", "/plain-write");
    }

    @Test
    void a_saga_that_waits_longer_than_its_lock_timeout_compensates_with_lock_timeout() {
        participant.on("/slow", delayed(Duration.ofMillis(3000), TestParticipant.ok()));
        String holderId = submit(holder("EXCLUSIVE", "/slow"));
        Eventually.await("the holder holds", Duration.ofSeconds(10), () -> participant.calls("/slow").size(), n -> n == 1);
        SagaBuilder impatient = aSaga().type("ImpatientSaga")
                .step("prepare", participant.url("/prepare")).withCompensation(participant.url("/unprepare"))
                .step("take", participant.url("/take-too")).withLock(resource, "EXCLUSIVE");
        String id = given().contentType(ContentType.JSON)
                .body(impatient.json().replaceFirst("\\{", "{\"lockTimeout\": \"PT0.5S\", "))
                .post("/api/v1/sagas").then().statusCode(201).extract().path("id");

        JsonPath saga = awaitEnd(id);

        assertThat(saga.getString("status")).isEqualTo("COMPENSATED");
        assertThat(saga.getString("reason")).isEqualTo("LOCK_TIMEOUT");
        assertThat(saga.getList("steps.status")).containsExactly("SUCCEEDED", "SKIPPED");
        assertThat(participant.calls("/unprepare")).hasSize(1);
        assertThat(participant.calls("/take-too")).isEmpty();
        assertThat(given().queryParam("sagaId", id).get("/api/v1/locks").then().extract().jsonPath().getList("waiting")).isEmpty();
        assertThat(awaitEnd(holderId).getString("status")).isEqualTo("COMPLETED");
    }

    @Test
    void an_operator_can_abort_a_waiting_saga_and_its_place_in_the_queue_is_freed() {
        participant.on("/slow", delayed(Duration.ofMillis(2000), TestParticipant.ok()));
        String holderId = submit(holder("EXCLUSIVE", "/slow"));
        Eventually.await("the holder holds", Duration.ofSeconds(10), () -> participant.calls("/slow").size(), n -> n == 1);
        String waiter = submit(aSaga().type("WaiterSaga").step("take", participant.url("/take-too")).withLock(resource, "EXCLUSIVE"));
        awaitStatus(waiter, Set.of("WAITING"));

        given().contentType(ContentType.JSON).post("/api/v1/sagas/" + waiter + "/abort").then().statusCode(202);
        JsonPath aborted = awaitEnd(waiter);

        assertThat(aborted.getString("status")).isEqualTo("COMPENSATED");
        assertThat(aborted.getString("reason")).isEqualTo("OPERATOR_ABORT");
        assertThat(given().queryParam("resource", resource).get("/api/v1/locks").then().extract().jsonPath()
                .getList("waiting")).isEmpty();
        assertThat(awaitEnd(holderId).getString("status")).isEqualTo("COMPLETED");
    }

    @Test
    void locks_are_held_until_the_saga_ends_even_while_it_compensates() {
        participant.on("/fail", TestParticipant.json(400, "{}"));
        participant.on("/untake", delayed(Duration.ofMillis(1000), TestParticipant.ok()));
        String failing = submit(aSaga().type("FailingSaga")
                .step("take", participant.url("/take")).withLock(resource, "EXCLUSIVE").withCompensation(participant.url("/untake"))
                .step("fail", participant.url("/fail")));
        Eventually.await("the compensation call", Duration.ofSeconds(10), () -> participant.calls("/untake").size(), n -> n == 1);
        String next = submit(aSaga().type("NextSaga").step("take", participant.url("/take-too")).withLock(resource, "EXCLUSIVE"));

        awaitStatus(next, Set.of("WAITING"));
        assertThat(awaitEnd(failing).getString("status")).isEqualTo("COMPENSATED");
        assertThat(awaitEnd(next).getString("status")).isEqualTo("COMPLETED");
        assertThat(participant.paths()).containsSubsequence("/untake", "/take-too");
    }

    @Test
    void a_bad_saga_id_filter_on_locks_is_a_400() {
        given().queryParam("sagaId", "nope").get("/api/v1/locks").then().statusCode(400)
                .contentType("application/problem+json");
        assertThat(Map.of()).isEmpty();
    }
}
