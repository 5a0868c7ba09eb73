package io.sagawarden.execution;

import static io.restassured.RestAssured.given;
import static io.sagawarden.execution.ExecutionScenarioTest.awaitEnd;
import static io.sagawarden.execution.ExecutionScenarioTest.submit;
import static io.sagawarden.testing.SagaBuilder.aSaga;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.sagawarden.testing.Db;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.TestParticipant;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A saga submitted to a node with no saga in hand is claimed, and makes its first move, in the transaction that
 * submits it ({@link Dispatcher}): its {@code started_at} is then its {@code created_at}, both that transaction's
 * time. It runs only once that transaction commits, and a submission that does not commit leaves neither a call
 * nor a slot taken behind. A busy node leaves its submissions to the claim loop. The node here has two slots.
 */
@QuarkusTest
@TestProfile(StartWithSubmissionTest.TwoSlots.class)
class StartWithSubmissionTest {

    public static class TwoSlots implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("saga.execution.concurrency", "2");
        }
    }

    @ConfigProperty(name = "quarkus.datasource.jdbc.url")
    String jdbcUrl;

    @Inject
    Dispatcher dispatcher;

    private TestParticipant participant;
    private Db db;

    @BeforeEach
    void start() {
        participant = TestParticipant.start();
        db = Db.ofUrl(jdbcUrl);
        Eventually.await("the node to be idle", Duration.ofSeconds(20), () -> dispatcher.inHand(), Set::isEmpty);
    }

    @AfterEach
    void stop() {
        participant.close();
    }

    @Test
    void a_saga_submitted_to_an_idle_node_starts_in_its_submitting_transaction() {
        String id = submit(aSaga().step("a", participant.url("/a")).step("b", participant.url("/b")));

        assertThat(awaitEnd(id).getString("status")).isEqualTo("COMPLETED");
        assertThat(db.count("SELECT count(*) FROM sagas WHERE id = '" + id + "' AND started_at = created_at"))
                .as("claimed in the transaction that stored it").isEqualTo(1);
        assertThat(participant.calls("/a")).hasSize(1);
        assertThat(participant.calls("/b")).hasSize(1);
    }

    @Test
    void a_submission_that_does_not_commit_calls_nobody_and_gives_its_slot_back() {
        db.execute("""
                CREATE OR REPLACE FUNCTION refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'refused at commit'; END $$""");
        db.execute("""
                CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON sagas DEFERRABLE INITIALLY DEFERRED
                FOR EACH ROW WHEN (NEW.type = 'RefusedAtCommit') EXECUTE FUNCTION refuse_at_commit()""");
        try {
            // As many as the node has slots: each would keep one if a rolled-back start did not give it back.
            for (int i = 0; i < 2; i++) {
                int status = given().contentType(ContentType.JSON)
                        .body(aSaga().type("RefusedAtCommit").step("a", participant.url("/refused")).json())
                        .post("/api/v1/sagas").then().extract().statusCode();
                assertThat(status).as("the submission failed at commit").isGreaterThanOrEqualTo(500);
            }
        } finally {
            db.execute("DROP TRIGGER refuse_at_commit ON sagas");
            db.execute("DROP FUNCTION refuse_at_commit()");
        }

        String after = submit(aSaga().step("a", participant.url("/after")));
        assertThat(awaitEnd(after).getString("status")).isEqualTo("COMPLETED");
        assertThat(participant.calls("/refused")).as("no call for a saga never stored").isEmpty();
        assertThat(db.count("SELECT count(*) FROM sagas WHERE type = 'RefusedAtCommit'")).isZero();
        assertThat(dispatcher.inHand()).isEmpty();
    }

    @Test
    void a_saga_submitted_to_a_busy_node_is_claimed_by_the_loop_once_a_slot_is_free() throws Exception {
        CountDownLatch release = holdCalls("/hold");
        List<String> holders = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            holders.add(submit(aSaga().step("hold", participant.url("/hold"))));
        }
        Eventually.await("both slots busy", Duration.ofSeconds(10), () -> participant.calls("/hold").size(), n -> n == 2);

        String waiting = submit(aSaga().step("a", participant.url("/later")));
        Thread.sleep(300);
        assertThat(participant.calls("/later")).as("no slot for it yet").isEmpty();
        release.countDown();

        assertThat(awaitEnd(waiting).getString("status")).isEqualTo("COMPLETED");
        holders.forEach(id -> assertThat(awaitEnd(id).getString("status")).isEqualTo("COMPLETED"));
        assertThat(db.count("SELECT count(*) FROM sagas WHERE id = '" + waiting + "' AND started_at > created_at"))
                .as("claimed later, by the loop").isEqualTo(1);
    }

    @Test
    void a_saga_submitted_while_the_node_has_one_in_hand_is_left_to_the_loop() throws Exception {
        CountDownLatch release = holdCalls("/hold");
        String holder = submit(aSaga().step("hold", participant.url("/hold")));
        Eventually.await("the holder's call", Duration.ofSeconds(10), () -> participant.calls("/hold").size(), n -> n == 1);

        String other = submit(aSaga().step("a", participant.url("/other")));
        assertThat(awaitEnd(other).getString("status")).as("run in the free slot").isEqualTo("COMPLETED");
        release.countDown();

        assertThat(awaitEnd(holder).getString("status")).isEqualTo("COMPLETED");
        assertThat(db.count("SELECT count(*) FROM sagas WHERE id = '" + other + "' AND started_at > created_at"))
                .as("claimed by the loop, not in its submission").isEqualTo(1);
    }

    @Test
    void a_saga_whose_resource_is_busy_as_it_starts_makes_its_first_move_on_its_own_once_it_is_free() throws Exception {
        String resource = "busy-at-start-" + UUID.randomUUID();
        // The lock manager's advisory lock on the resource, held from outside: a start may only try it, so the
        // saga's first move is deferred to its own transaction, which waits for it.
        try (Connection outside = db.connect(); Statement s = outside.createStatement()) {
            s.execute("SELECT pg_advisory_lock(" + 0x53574C4B + ", " + resource.hashCode() + ")");
            String id = submit(aSaga().step("a", participant.url("/locked")).withLock(resource, "EXCLUSIVE"));
            Thread.sleep(300);
            assertThat(participant.calls("/locked")).as("not before the resource is free").isEmpty();
            s.execute("SELECT pg_advisory_unlock(" + 0x53574C4B + ", " + resource.hashCode() + ")");

            assertThat(awaitEnd(id).getString("status")).isEqualTo("COMPLETED");
            assertThat(participant.calls("/locked")).hasSize(1);
        }
    }

    /** Calls to {@code path} are answered once the returned latch is counted down. */
    private CountDownLatch holdCalls(String path) {
        CountDownLatch release = new CountDownLatch(1);
        participant.on(path, (n, call) -> {
            release.await(20, TimeUnit.SECONDS);
            return TestParticipant.ok().reply(n, call);
        });
        return release;
    }
}
