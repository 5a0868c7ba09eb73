package io.sagawarden.execution;

import static io.restassured.RestAssured.given;
import static io.sagawarden.execution.ExecutionScenarioTest.awaitEnd;
import static io.sagawarden.execution.ExecutionScenarioTest.submit;
import static io.sagawarden.testing.SagaBuilder.aSaga;
import static io.sagawarden.testing.TestParticipant.json;
import static io.sagawarden.testing.TestParticipant.ok;
import static io.sagawarden.testing.TestParticipant.together;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.sagawarden.testing.Db;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.TestParticipant;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The moves of sagas that take no locks are saved many to a statement ({@link MoveWriter}). Each test holds the
 * writer on one saga's row lock while other sagas' moves queue behind it, so they are saved as one batch, and
 * then tries to make one move of that batch spoil the others.
 */
@QuarkusTest
class MoveWriterTest {

    private static final int OTHERS = 6;

    @ConfigProperty(name = "quarkus.datasource.jdbc.url")
    String jdbcUrl;

    private TestParticipant participant;
    private Db db;

    @BeforeEach
    void start() {
        participant = TestParticipant.start();
        db = Db.ofUrl(jdbcUrl);
    }

    @AfterEach
    void stop() {
        participant.close();
    }

    @Test
    void a_move_the_database_refuses_fails_alone_and_the_others_of_its_batch_are_saved_once() throws Exception {
        try (AutoCloseable refusing = db.refusingReplies("refuse-me")) {
            TestParticipant.Behaviour mark = json(200, "{\"mark\": \"refuse-me\"}");
            TestParticipant.Behaviour answer = together(OTHERS + 1,
                    (n, call) -> (call.path().equals("/marked") ? mark : ok()).reply(n, call));
            participant.on("/marked", answer);
            List<String> others = new ArrayList<>();
            String marked;
            try (WriterHeld held = holdWriter()) {
                for (int i = 0; i < OTHERS; i++) {
                    participant.on("/other-" + i, answer);
                    others.add(submit(aSaga().step("a", participant.url("/other-" + i))
                            .withCompensation(participant.url("/undo-other-" + i)).step("b", participant.url("/next-" + i))));
                }
                marked = submit(aSaga().step("marked", participant.url("/marked")).withCompensation(participant.url("/unmark"))
                        .withRetry(5, "PT0.1S"));
                held.whenQueued(OTHERS + 1);
            }

            JsonPath refused = awaitEnd(marked);
            assertThat(refused.getString("status")).isEqualTo("COMPENSATED");
            assertThat(refused.getString("steps[0].lastError")).contains("could not be stored");
            assertThat(participant.calls("/marked")).as("never called again for a failed save").hasSize(1);
            for (int i = 0; i < OTHERS; i++) {
                assertThat(awaitEnd(others.get(i)).getString("status")).isEqualTo("COMPLETED");
                assertThat(participant.calls("/other-" + i)).as("each call of the batch made once").hasSize(1);
                assertThat(participant.calls("/next-" + i)).hasSize(1);
                assertThat(participant.calls("/undo-other-" + i)).isEmpty();
            }
        }
    }

    @Test
    void an_abort_that_arrives_while_a_move_waits_in_a_batch_refuses_that_move_alone() throws Exception {
        TestParticipant.Behaviour answer = together(OTHERS, ok());
        List<String> sagas = new ArrayList<>();
        try (WriterHeld held = holdWriter()) {
            for (int i = 0; i < OTHERS; i++) {
                participant.on("/step-" + i, answer);
                sagas.add(submit(aSaga().step("a", participant.url("/step-" + i)).withCompensation(participant.url("/undo-" + i))
                        .step("b", participant.url("/then-" + i))));
            }
            held.whenQueued(OTHERS);
            given().contentType(ContentType.JSON).post("/api/v1/sagas/" + sagas.getFirst() + "/abort").then().statusCode(202);
        }

        JsonPath aborted = awaitEnd(sagas.getFirst());
        assertThat(aborted.getString("status")).isEqualTo("COMPENSATED");
        assertThat(aborted.getString("reason")).isEqualTo("OPERATOR_ABORT");
        assertThat(participant.calls("/then-0")).as("its move was decided again, with the abort").isEmpty();
        assertThat(participant.calls("/undo-0")).hasSize(1);
        for (int i = 1; i < OTHERS; i++) {
            assertThat(awaitEnd(sagas.get(i)).getString("status")).isEqualTo("COMPLETED");
            assertThat(participant.calls("/step-" + i)).hasSize(1);
            assertThat(participant.calls("/then-" + i)).hasSize(1);
            assertThat(participant.calls("/undo-" + i)).isEmpty();
        }
    }

    /**
     * Runs a saga whose call is answered only once its row is locked, and returns once its move waits for that lock
     * inside the writer: every move made until {@link WriterHeld#close} queues behind it.
     */
    private WriterHeld holdWriter() throws Exception {
        CountDownLatch locked = new CountDownLatch(1);
        participant.on("/hold", (n, call) -> {
            locked.await(10, TimeUnit.SECONDS);
            return ok().reply(n, call);
        });
        String holder = submit(aSaga().step("hold", participant.url("/hold")));
        Eventually.await("the holder's call", Duration.ofSeconds(10), () -> participant.calls("/hold").size(), n -> n == 1);
        Connection lock = db.connect();
        lock.setAutoCommit(false);
        try (Statement s = lock.createStatement()) {
            s.execute("SELECT 1 FROM sagas WHERE id = '" + holder + "' FOR UPDATE");
        }
        locked.countDown();
        Eventually.await("the holder's move to wait in the writer", Duration.ofSeconds(10), () -> db.count("""
                SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'WITH moved AS%'"""),
                n -> n == 1);
        return new WriterHeld(lock, holder);
    }

    private final class WriterHeld implements AutoCloseable {
        private final Connection lock;
        private final String holder;

        WriterHeld(Connection lock, String holder) {
            this.lock = lock;
            this.holder = holder;
        }

        /** Returns once {@code calls} further calls were answered and their moves had time to queue. */
        void whenQueued(int calls) throws InterruptedException {
            Eventually.await(calls + " calls answered", Duration.ofSeconds(15),
                    () -> participant.answers().size(), n -> n >= calls + 1);
            Thread.sleep(500);
        }

        @Override
        public void close() throws Exception {
            lock.rollback();
            lock.close();
            assertThat(awaitEnd(holder).getString("status")).isEqualTo("COMPLETED");
        }
    }
}
