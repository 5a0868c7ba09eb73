package io.sagawarden.execution;

import static io.sagawarden.testing.SagaBuilder.aSaga;
import static io.sagawarden.testing.TestParticipant.idempotent;
import static io.sagawarden.testing.TestParticipant.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.sagawarden.testing.AppProcess;
import io.sagawarden.testing.Db;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.PostgresTestDatabase;
import io.sagawarden.testing.SagaBuilder;
import io.sagawarden.testing.TestParticipant;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/** kill -9 a node while its sagas are mid-call: every saga still ends, and nothing done is left undone. */
class CrashRecoveryIT {

    private static final int SAGAS = 240;

    @Test
    void killing_a_node_mid_flight_loses_no_saga_and_leaves_no_successful_action_uncompensated() throws Exception {
        String database = PostgresTestDatabase.create();
        Map<String, String> settings = Map.of("saga.execution.lease", "PT2S", "saga.execution.heartbeat", "PT0.5S",
                "saga.execution.poll-interval", "PT0.2S", "saga.execution.concurrency", "16",
                "saga.execution.compensation-retry.initial-backoff", "PT0.1S",
                "saga.execution.compensation-retry.max-backoff", "PT0.5S");
        Db db = new Db(database);
        try (TestParticipant participant = TestParticipant.start()) {
            participant.otherwise(idempotent((n, call) -> {
                Thread.sleep(ThreadLocalRandom.current().nextLong(80, 250));
                return json(200, "{\"ok\": true}").reply(n, call);
            }));
            participant.on("/fail", idempotent(json(409, "{\"error\": \"rejected\"}")));
            AppProcess a = AppProcess.start("node-a", database, settings);
            try (AppProcess b = AppProcess.start("node-b", database, settings)) {
                Set<String> doomed = new HashSet<>();
                for (int i = 0; i < SAGAS; i++) {
                    boolean fails = i % 5 == 0;
                    SagaBuilder saga = aSaga().type("CrashSaga")
                            .step("reserve", participant.url("/reserve")).withCompensation(participant.url("/release"))
                            .step("charge", participant.url("/charge")).withCompensation(participant.url("/refund"))
                            .step("ship", participant.url(fails ? "/fail" : "/ship")).withCompensation(participant.url("/unship"));
                    var response = (i % 2 == 0 ? a : b).post("/api/v1/sagas", saga.json());
                    assertThat(response.statusCode()).isEqualTo(201);
                    if (fails) {
                        doomed.add(SagaBuilder.parse(response.body()).get("id").asText());
                    }
                }
                Eventually.await("a quarter of the sagas to end", Duration.ofSeconds(60),
                        () -> db.count("SELECT count(*) FROM sagas WHERE ended_at IS NOT NULL"), n -> n >= SAGAS / 4);
                long inFlightOnA = db.count("SELECT count(*) FROM sagas WHERE lease_owner = 'node-a'");
                a.kill();
                assertThat(inFlightOnA).as("node-a held sagas when it was killed").isPositive();

                Eventually.await("every saga to end", Duration.ofSeconds(120),
                        () -> db.count("SELECT count(*) FROM sagas WHERE ended_at IS NULL"), n -> n == 0);

                assertThat(db.count("SELECT count(*) FROM sagas WHERE lease_owner IS NOT NULL")).isZero();
                assertThat(db.count("SELECT count(*) FROM saga_events WHERE kind = 'RECLAIMED'"))
                        .as("node-b took over node-a's sagas").isPositive();
                Map<String, String> status = new HashMap<>();
                for (Map<String, Object> row : db.rows("SELECT id::text AS id, status, reason FROM sagas")) {
                    String id = (String) row.get("id");
                    status.put(id, (String) row.get("status"));
                    if (doomed.contains(id)) {
                        assertThat(row.get("status")).as("saga %s", id).isEqualTo("COMPENSATED");
                    } else {
                        assertThat(row.get("status")).as("saga %s", id).isEqualTo("COMPLETED");
                    }
                }
                assertThat(status).hasSize(SAGAS);
                assertEverySuccessfulActionCompletedOrCompensated(participant.answers(), status);
            }
        } finally {
            PostgresTestDatabase.drop(database);
        }
    }

    static void assertEverySuccessfulActionCompletedOrCompensated(List<TestParticipant.Answer> answers,
                                                                  Map<String, String> statusBySaga) {
        Set<String> compensated = new HashSet<>();
        for (TestParticipant.Answer answer : answers) {
            String key = answer.call().header("Idempotency-Key");
            if (key.endsWith(":compensation") && answer.status() / 100 == 2) {
                compensated.add(key.substring(0, key.length() - ":compensation".length()));
            }
        }
        int checked = 0;
        for (TestParticipant.Answer answer : answers) {
            String key = answer.call().header("Idempotency-Key");
            if (!key.endsWith(":action") || answer.status() / 100 != 2) {
                continue;
            }
            String sagaAndStep = key.substring(0, key.length() - ":action".length());
            String sagaId = sagaAndStep.substring(0, sagaAndStep.indexOf(':'));
            assertThat("COMPLETED".equals(statusBySaga.get(sagaId)) || compensated.contains(sagaAndStep))
                    .as("the successful action %s belongs to a COMPLETED saga or was compensated", sagaAndStep)
                    .isTrue();
            checked++;
        }
        for (String sagaAndStep : compensated) {
            String sagaId = sagaAndStep.substring(0, sagaAndStep.indexOf(':'));
            assertThat(statusBySaga.get(sagaId)).as("a COMPLETED saga is never compensated").isNotEqualTo("COMPLETED");
        }
        assertThat(checked).isPositive();
    }
}
