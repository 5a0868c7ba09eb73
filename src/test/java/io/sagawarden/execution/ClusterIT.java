package io.sagawarden.execution;

import static io.sagawarden.testing.SagaBuilder.aSaga;
import static org.assertj.core.api.Assertions.assertThat;

import io.sagawarden.testing.AppProcess;
import io.sagawarden.testing.Db;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.PostgresTestDatabase;
import io.sagawarden.testing.TestParticipant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Three nodes on one database share the work and never run an action twice. */
class ClusterIT {

    private static final int SAGAS = 1000;

    @Test
    void three_nodes_run_a_thousand_sagas_calling_each_action_exactly_once() throws Exception {
        String database = PostgresTestDatabase.create();
        Db db = new Db(database);
        List<AppProcess> nodes = new ArrayList<>();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try (TestParticipant participant = TestParticipant.start()) {
            for (String name : List.of("node-1", "node-2", "node-3")) {
                nodes.add(AppProcess.start(name, database, Map.of()));
            }
            String saga = aSaga().type("ClusterSaga")
                    .step("reserve", participant.url("/reserve")).withCompensation(participant.url("/release"))
                    .step("charge", participant.url("/charge")).withCompensation(participant.url("/refund"))
                    .step("ship", participant.url("/ship")).json();
            List<Future<Integer>> submissions = new ArrayList<>();
            for (int i = 0; i < SAGAS; i++) {
                AppProcess node = nodes.get(i % nodes.size());
                submissions.add(clients.submit(() -> node.post("/api/v1/sagas", saga).statusCode()));
            }
            for (Future<Integer> submission : submissions) {
                assertThat(submission.get()).isEqualTo(201);
            }

            Eventually.await("every saga to end", Duration.ofSeconds(180),
                    () -> db.count("SELECT count(*) FROM sagas WHERE ended_at IS NULL"), n -> n == 0);

            assertThat(db.count("SELECT count(*) FROM sagas WHERE status = 'COMPLETED'")).isEqualTo(SAGAS);
            Map<String, Long> callsByKey = participant.calls().stream()
                    .map(c -> c.header("Idempotency-Key"))
                    .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
            assertThat(callsByKey).hasSize(SAGAS * 3);
            assertThat(callsByKey.values()).as("calls per Idempotency-Key").containsOnly(1L);
            assertThat(db.rows("SELECT DISTINCT detail ->> 'node' AS node FROM saga_events WHERE kind = 'STARTED'"))
                    .as("every node ran sagas").hasSize(3);
        } finally {
            clients.shutdownNow();
            nodes.forEach(AppProcess::close);
            PostgresTestDatabase.drop(database);
        }
    }
}
