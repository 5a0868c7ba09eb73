package io.sagawarden.deadlock;

import static io.restassured.RestAssured.given;
import static io.sagawarden.testing.SagaBuilder.aSaga;
import static io.sagawarden.testing.TestParticipant.delayed;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.sagawarden.lock.LockMode;
import io.sagawarden.lock.LockQueue;
import io.sagawarden.testing.Db;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.Management;
import io.sagawarden.testing.SagaBuilder;
import io.sagawarden.testing.TestParticipant;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Sagas that take resources in opposite order deadlock; the detector picks a victim and everyone else finishes. */
@QuarkusTest
class DeadlockScenarioTest {

    private static final Set<String> TERMINAL = Set.of("COMPLETED", "COMPENSATED", "FAILED");

    @Inject
    DeadlockStore store;

    @ConfigProperty(name = "quarkus.datasource.jdbc.url")
    String jdbcUrl;

    private TestParticipant participant;
    private String tag;

    static {
        RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
    }

    @BeforeEach
    void start() {
        participant = TestParticipant.start();
        participant.otherwise(delayed(Duration.ofMillis(400), TestParticipant.ok()));
        tag = UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    void stop() {
        participant.close();
    }

    private String r(String name) {
        return name + ":" + tag;
    }

    /** Makes the first steps of {@code types} answer only once all of them are in flight: the cycle always closes. */
    private void firstStepsTogether(String... types) {
        TestParticipant.Behaviour together = TestParticipant.together(types.length, TestParticipant.ok());
        for (String type : types) {
            participant.on("/" + type + "/1", together);
        }
    }

    /** Locks {@code first} in step one and {@code second} in step two; each step has a compensation. */
    private SagaBuilder crossing(String type, int priority, String first, String second) {
        return aSaga().type(type).priority(priority)
                .step("take-" + first, participant.url("/" + type + "/1")).withLock(r(first), "EXCLUSIVE")
                .withCompensation(participant.url("/" + type + "/undo-1"))
                .step("take-" + second, participant.url("/" + type + "/2")).withLock(r(second), "EXCLUSIVE")
                .withCompensation(participant.url("/" + type + "/undo-2"));
    }

    static String submit(SagaBuilder saga) {
        return submit(saga.json());
    }

    static String submit(String json) {
        return given().contentType(ContentType.JSON).body(json).post("/api/v1/sagas")
                .then().statusCode(201).extract().path("id");
    }

    static JsonPath awaitEnd(String id) {
        return Eventually.await("saga " + id + " to end", Duration.ofSeconds(30),
                () -> given().get("/api/v1/sagas/" + id).then().extract().jsonPath(),
                v -> TERMINAL.contains(v.getString("status")));
    }

    @Test
    void two_sagas_taking_two_resources_in_opposite_order_deadlock_and_the_lower_priority_one_gives_way() {
        firstStepsTogether("HighSaga", "LowSaga");
        String high = submit(crossing("HighSaga", 5, "sku", "account"));
        String low = submit(crossing("LowSaga", 1, "account", "sku"));

        JsonPath lowDone = awaitEnd(low);
        JsonPath highDone = awaitEnd(high);

        assertThat(highDone.getString("status")).isEqualTo("COMPLETED");
        assertThat(lowDone.getString("status")).isEqualTo("COMPENSATED");
        assertThat(lowDone.getString("reason")).isEqualTo("DEADLOCK_VICTIM");
        assertThat(lowDone.getList("steps.status")).containsExactly("SUCCEEDED", "SKIPPED");
        assertThat(participant.calls("/LowSaga/undo-1")).hasSize(1);
        assertThat(participant.calls("/LowSaga/2")).isEmpty();
        assertThat(participant.calls("/HighSaga/undo-1")).isEmpty();

        JsonPath deadlock = deadlockOf(low);
        assertThat(deadlock.getString("resolution")).isEqualTo("ABORT_SAGA");
        assertThat(deadlock.getString("victim.sagaId")).isEqualTo(low);
        assertThat(deadlock.getString("victim.type")).isEqualTo("LowSaga");
        assertThat(deadlock.getInt("victim.priority")).isEqualTo(1);
        assertThat(deadlock.getString("victim.why")).isEqualTo("lowest priority (1) in the cycle");
        assertThat(Duration.parse(deadlock.getString("victim.runningFor"))).isPositive();
        assertThat(deadlock.getList("cycle")).hasSize(2);
        assertThat(deadlock.getList("cycle.waiter")).containsExactlyInAnyOrder(low, high);
        assertThat(deadlock.getList("cycle.holder")).containsExactlyInAnyOrder(low, high);
        assertThat(deadlock.getList("cycle.resource")).containsExactlyInAnyOrder(r("sku"), r("account"));
        assertThat(deadlock.getList("cycle.kind")).containsOnly("HARD");
        assertThat(deadlock.getList("cycle.requestedMode")).containsOnly("EXCLUSIVE");
        assertThat(deadlock.getString("text")).contains("saga " + low + " (LowSaga, priority 1) waits for EXCLUSIVE on " + r("sku"))
                .contains("HighSaga, priority 5").contains("Victim: saga " + low);
        List<String> kinds = given().get("/api/v1/sagas/" + low + "/events").then().extract().path("kind");
        assertThat(kinds).containsSubsequence("WAITING_FOR_LOCK", "DEADLOCK_VICTIM", "COMPENSATING", "COMPENSATED");
        Db db = Db.ofUrl(jdbcUrl);
        assertThat(db.count("SELECT count(*) FROM alerts WHERE kind = 'DEADLOCK' AND severity = 'warning' AND saga_id = '" + low + "'"))
                .isEqualTo(1);
        assertThat(db.count("SELECT count(*) FROM deadlocks WHERE victim_saga_id IN ('" + low + "', '" + high + "')"))
                .as("exactly one victim").isEqualTo(1);
    }

    @Test
    void three_sagas_in_a_ring_lose_exactly_one_victim_the_lowest_priority() {
        firstStepsTogether("RingA", "RingB", "RingC");
        String a = submit(crossing("RingA", 3, "r1", "r2"));
        String b = submit(crossing("RingB", 2, "r2", "r3"));
        String c = submit(crossing("RingC", 1, "r3", "r1"));

        assertThat(awaitEnd(c).getString("reason")).isEqualTo("DEADLOCK_VICTIM");
        assertThat(awaitEnd(a).getString("status")).isEqualTo("COMPLETED");
        assertThat(awaitEnd(b).getString("status")).isEqualTo("COMPLETED");
        JsonPath deadlock = deadlockOf(c);
        assertThat(deadlock.getList("cycle")).hasSize(3);
        assertThat(Db.ofUrl(jdbcUrl).count("SELECT count(*) FROM deadlocks WHERE victim_saga_id IN ('"
                + a + "', '" + b + "', '" + c + "')")).isEqualTo(1);
    }

    @Test
    void a_victim_that_asked_to_restart_compensates_runs_again_and_completes() {
        firstStepsTogether("KeeperSaga", "RestartSaga");
        String high = submit(crossing("KeeperSaga", 5, "left", "right"));
        String restarter = submit(crossing("RestartSaga", 1, "right", "left").json()
                .replaceFirst("\\{", "{\"onDeadlock\": \"RESTART\", "));

        JsonPath done = awaitEnd(restarter);

        assertThat(awaitEnd(high).getString("status")).isEqualTo("COMPLETED");
        assertThat(done.getString("status")).isEqualTo("COMPLETED");
        assertThat(done.getString("reason")).isNull();
        List<String> kinds = given().get("/api/v1/sagas/" + restarter + "/events").then().extract().path("kind");
        assertThat(kinds).containsSubsequence("DEADLOCK_VICTIM", "COMPENSATING", "STEP_COMPENSATED", "RESTARTED", "COMPLETED");
        assertThat(participant.calls("/RestartSaga/undo-1")).hasSize(1);
        // Counted under the reason it compensated for, although the restarted saga has no reason any more.
        assertThat(Management.metrics()).containsPattern(
                "saga_compensations_total\\{reason=\"DEADLOCK_VICTIM\",saga_type=\"RestartSaga\",step=\"take-right\"} 1\\.0");
        assertThat(participant.calls("/RestartSaga/1")).extracting(c -> c.header("Idempotency-Key"))
                .as("the second run calls with keys of its own").containsExactly(restarter + ":take-right:action",
                        restarter + ":take-right:action:run2");
        assertThat(participant.calls("/RestartSaga/undo-1")).extracting(c -> c.header("Idempotency-Key"))
                .containsExactly(restarter + ":take-right:compensation");
        Db db = Db.ofUrl(jdbcUrl);
        assertThat(db.count("SELECT restart_count FROM sagas WHERE id = '" + restarter + "'")).isEqualTo(1);
        // It kept its original start time, so it cannot look younger than sagas that started after it.
        assertThat(db.count("SELECT count(*) FROM sagas WHERE id = '" + restarter + "' AND started_at < "
                + "(SELECT min(at) FROM saga_events WHERE saga_id = '" + restarter + "' AND kind = 'RESTARTED')")).isEqualTo(1);
    }

    /**
     * X (priority 0, oldest) holds r3 and waits for r1; Y (1) holds r1 and waits for r2; Z (3) holds r2 and waits
     * for r3; W (0, newest) waits for r1 queued ahead of X. The policy picks W first, then X; aborting X alone
     * breaks both cycles, so W is spared and only X gives way.
     */
    @Test
    void a_victim_whose_abort_a_later_one_makes_needless_is_spared() {
        Map<String, CountDownLatch> gates = Map.of("X", new CountDownLatch(1),
                "Y", new CountDownLatch(1), "Z", new CountDownLatch(1));
        gates.forEach((name, gate) -> participant.on("/" + name + "/1", (n, call) -> {
            gate.await(20, TimeUnit.SECONDS);
            return TestParticipant.json(200, "{}").reply(n, call);
        }));
        String x = submit(crossing("X", 0, "r3", "r1"));
        Eventually.await("X to hold r3", Duration.ofSeconds(10), () -> participant.calls("/X/1").size(), n -> n == 1);
        String y = submit(crossing("Y", 1, "r1", "r2"));
        String z = submit(crossing("Z", 3, "r2", "r3"));
        Eventually.await("Y and Z to hold r1 and r2", Duration.ofSeconds(10),
                () -> participant.calls("/Y/1").size() + participant.calls("/Z/1").size(), n -> n == 2);
        String w = submit(aSaga().type("W").priority(0).step("take-r1", participant.url("/W/1")).withLock(r("r1"), "EXCLUSIVE"));
        awaitStatus(w, "WAITING");
        gates.get("X").countDown();
        awaitStatus(x, "WAITING");
        gates.get("Y").countDown();
        awaitStatus(y, "WAITING");
        gates.get("Z").countDown();

        assertThat(awaitEnd(x).getString("reason")).isEqualTo("DEADLOCK_VICTIM");
        for (String survivor : List.of(w, y, z)) {
            assertThat(awaitEnd(survivor).getString("status")).as("saga %s", survivor).isEqualTo("COMPLETED");
        }
        assertThat(Db.ofUrl(jdbcUrl).count("SELECT count(*) FROM deadlocks WHERE victim_saga_id IN ('" + w + "', '" + x
                + "', '" + y + "', '" + z + "')")).as("one victim").isEqualTo(1);
        JsonPath deadlock = deadlockOf(x);
        assertThat(deadlock.getString("victim.spared[0].sagaId")).isEqualTo(w);
        assertThat(deadlock.getString("text")).contains("Saga " + w + " (W, priority 0) was spared: aborting saga " + x
                + " breaks every cycle it was on.");
    }

    private static void awaitStatus(String id, String status) {
        Eventually.await("saga " + id + " to be " + status, Duration.ofSeconds(10),
                () -> given().get("/api/v1/sagas/" + id).then().extract().path("status"), status::equals);
    }

    @Test
    void a_cycle_broken_by_a_release_just_before_the_abort_costs_no_victim() {
        Db db = Db.ofUrl(jdbcUrl);
        UUID a = UUID.randomUUID();
        UUID b = UUID.randomUUID();
        String ra = r("race-a");
        String rb = r("race-b");
        // The cycle is all this test plays with.
        waitingElsewhere(db, "RaceSaga", a, b);
        Instant since = Instant.now();
        // The cycle as a detector round read it: a waits for race-b held by b, b waits for race-a held by a.
        List<WaitEdge> cycle = List.of(
                new WaitEdge(a, b, rb, LockMode.EXCLUSIVE, LockMode.EXCLUSIVE, LockQueue.Kind.HARD, since),
                new WaitEdge(b, a, ra, LockMode.EXCLUSIVE, LockMode.EXCLUSIVE, LockQueue.Kind.HARD, since));
        WaitForGraph graph = new WaitForGraph(cycle);
        try {
            Map<UUID, SagaNode> nodes = store.nodes(graph.sagas());
            List<DeadlockFinder.Resolution> resolutions = DeadlockFinder.resolve(graph, nodes, Instant.now());
            assertThat(resolutions).singleElement().extracting(res -> res.victim().id()).isEqualTo(b);

            // Meanwhile b let go of race-b: in the database only b's wait for a remains, no cycle.
            db.execute("INSERT INTO resource_locks VALUES ('" + ra + "', '" + a + "', 'EXCLUSIVE', now(), nextval('fencing_tokens'))");
            db.execute("INSERT INTO lock_waits (resource, saga_id, mode, queued_at) VALUES ('" + rb + "', '" + a + "', 'EXCLUSIVE', now())");
            db.execute("INSERT INTO lock_waits (resource, saga_id, mode, queued_at) VALUES ('" + ra + "', '" + b + "', 'EXCLUSIVE', now())");

            assertThat(store.abortVictims(resolutions, nodes, Instant.now())).containsExactly(Optional.empty());
            assertThat(db.count("SELECT count(*) FROM sagas WHERE id = '" + b + "' AND abort_reason IS NULL")).isEqualTo(1);
            assertThat(db.count("SELECT count(*) FROM deadlocks WHERE victim_saga_id = '" + b + "'")).isZero();

            // Positive control: with the cycle standing again, the same resolution does abort the victim (or a
            // detector round that saw the cycle first already did: either way b is the victim, once).
            db.execute("INSERT INTO resource_locks VALUES ('" + rb + "', '" + b + "', 'EXCLUSIVE', now(), nextval('fencing_tokens'))");
            store.abortVictims(resolutions, nodes, Instant.now());
            assertThat(db.count("SELECT count(*) FROM sagas WHERE id = '" + b + "' AND abort_reason = 'DEADLOCK_VICTIM'")).isEqualTo(1);
            assertThat(db.count("SELECT count(*) FROM deadlocks WHERE victim_saga_id = '" + b + "'")).isEqualTo(1);
            assertThat(db.count("SELECT count(*) FROM sagas WHERE id = '" + a + "' AND abort_reason IS NULL")).isEqualTo(1);
        } finally {
            db.execute("DELETE FROM saga_events WHERE saga_id IN ('" + a + "', '" + b + "')");
            db.execute("DELETE FROM sagas WHERE id IN ('" + a + "', '" + b + "')");
        }
    }

    /**
     * A victim whose row was busy when the round came is skipped, and the detector looks again by itself: neither
     * a new wait nor the sweep (10 minutes in tests) is needed for the deadlock to be resolved.
     */
    @Test
    void a_victim_spared_because_its_row_was_busy_is_aborted_by_the_next_round_without_a_new_wait() throws Exception {
        Db db = Db.ofUrl(jdbcUrl);
        UUID a = UUID.randomUUID();
        UUID b = UUID.randomUUID();
        String ra = r("busy-a");
        String rb = r("busy-b");
        waitingElsewhere(db, "BusySaga", a, b);
        double skippedBefore = skippedVictims();
        try (Connection busy = db.connect()) {
            busy.setAutoCommit(false);
            try (Statement s = busy.createStatement()) {
                // Busy as under a move of its own; NO KEY, so the foreign keys of the rows below can still be checked.
                s.execute("SELECT 1 FROM sagas WHERE id = '" + b + "' FOR NO KEY UPDATE");
            }
            db.execute("INSERT INTO resource_locks VALUES ('" + ra + "', '" + a + "', 'EXCLUSIVE', now(), nextval('fencing_tokens')), "
                    + "('" + rb + "', '" + b + "', 'EXCLUSIVE', now(), nextval('fencing_tokens'))");
            db.execute("INSERT INTO lock_waits (resource, saga_id, mode, queued_at) VALUES ('" + rb + "', '" + a
                    + "', 'EXCLUSIVE', now()), ('" + ra + "', '" + b + "', 'EXCLUSIVE', now())");
            db.execute("SELECT pg_notify('saga_waits', '')");

            Eventually.await("the busy victim to be skipped", Duration.ofSeconds(10), this::skippedVictims,
                    n -> n > skippedBefore);
            assertThat(db.count("SELECT count(*) FROM sagas WHERE id = '" + b + "' AND abort_reason IS NULL")).isEqualTo(1);
            busy.commit();
        }
        try {
            Eventually.await("the victim to be aborted once its row is free", Duration.ofSeconds(10),
                    () -> db.count("SELECT count(*) FROM sagas WHERE id = '" + b + "' AND abort_reason = 'DEADLOCK_VICTIM'"),
                    n -> n == 1);
            assertThat(db.count("SELECT count(*) FROM deadlocks WHERE victim_saga_id = '" + b + "'")).isEqualTo(1);
            assertThat(db.count("SELECT count(*) FROM sagas WHERE id = '" + a + "' AND abort_reason IS NULL")).isEqualTo(1);
        } finally {
            db.execute("DELETE FROM saga_events WHERE saga_id IN ('" + a + "', '" + b + "')");
            db.execute("DELETE FROM sagas WHERE id IN ('" + a + "', '" + b + "')");
        }
    }

    /**
     * Two WAITING sagas that no node may take up (a live lease elsewhere), {@code high} of priority 5 and
     * {@code low} of priority 1, so {@code low} is the victim of any cycle between them.
     */
    private static void waitingElsewhere(Db db, String type, UUID high, UUID low) {
        for (UUID saga : List.of(high, low)) {
            db.execute("INSERT INTO sagas (id, type, status, priority, definition, submitter, request_hash, next_run_at, "
                    + "lease_owner, lease_expires_at, created_at, started_at, updated_at, progress_at) VALUES ('" + saga
                    + "', '" + type + "', 'WAITING', " + (saga.equals(high) ? 5 : 1) + ", '{}', 'test', 'x', 'infinity', "
                    + "'elsewhere', now() + interval '1 hour', now(), now(), now(), now())");
        }
    }

    private double skippedVictims() {
        String metrics = Management.metrics();
        Matcher m = Pattern.compile("(?m)^deadlock_victims_skipped_total ([0-9.eE+]+)$")
                .matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void the_wait_for_graph_is_served_as_json_and_dot_and_an_unknown_deadlock_is_404() {
        given().queryParam("format", "json").get("/api/v1/wait-for-graph").then().statusCode(200)
                .contentType(ContentType.JSON);
        String dot = given().queryParam("format", "dot").get("/api/v1/wait-for-graph").then().statusCode(200)
                .extract().asString();
        assertThat(dot).startsWith("digraph wait_for {");
        given().queryParam("format", "svg").get("/api/v1/wait-for-graph").then().statusCode(400)
                .contentType("application/problem+json");
        given().get("/api/v1/deadlocks/" + UUID.randomUUID()).then().statusCode(404).contentType("application/problem+json");
        given().queryParam("limit", 0).get("/api/v1/deadlocks").then().statusCode(400);
    }

    private JsonPath deadlockOf(String victim) {
        List<Map<String, Object>> items = given().queryParam("limit", 500).get("/api/v1/deadlocks").then().statusCode(200)
                .extract().path("items");
        Object id = items.stream().filter(d -> victim.equals(((Map<?, ?>) d.get("victim")).get("sagaId")))
                .findFirst().orElseThrow(() -> new AssertionError("no deadlock with victim " + victim)).get("id");
        return given().get("/api/v1/deadlocks/" + id).then().statusCode(200).extract().jsonPath();
    }
}
