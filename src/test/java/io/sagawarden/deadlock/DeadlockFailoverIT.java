package io.sagawarden.deadlock;

import static io.sagawarden.testing.SagaBuilder.aSaga;
import static org.assertj.core.api.Assertions.assertThat;

import io.sagawarden.testing.AppProcess;
import io.sagawarden.testing.Db;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.PostgresTestDatabase;
import io.sagawarden.testing.SagaBuilder;
import io.sagawarden.testing.TestParticipant;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** When the node that runs deadlock detection dies, another takes over and deadlocks are still resolved. */
class DeadlockFailoverIT {

    private static final Map<String, String> SETTINGS = Map.of("saga.cluster.leader-lease", "PT2S",
            "saga.cluster.heartbeat", "PT0.5S", "saga.execution.lease", "PT2S", "saga.execution.heartbeat", "PT0.5S",
            "saga.execution.poll-interval", "PT0.2S");

    @Test
    void after_the_leader_is_killed_the_survivor_leads_and_resolves_the_next_deadlock() {
        String database = PostgresTestDatabase.create();
        Db db = new Db(database);
        try (TestParticipant participant = TestParticipant.start()) {
            AppProcess first = AppProcess.start("node-1", database, SETTINGS);
            AppProcess second = AppProcess.start("node-2", database, SETTINGS);
            try {
                String leader = Eventually.await("a leader", Duration.ofSeconds(20),
                        () -> db.rows("SELECT owner FROM leader_leases WHERE expires_at > now()"), rows -> rows.size() == 1)
                        .getFirst().get("owner").toString();
                AppProcess dying = leader.equals("node-1") ? first : second;
                AppProcess survivor = dying == first ? second : first;
                resolvesADeadlock(participant, survivor, db, "Before");

                dying.kill();

                String next = Eventually.await("the survivor to lead", Duration.ofSeconds(20),
                        () -> db.rows("SELECT owner FROM leader_leases WHERE expires_at > now()"),
                        rows -> rows.size() == 1 && rows.getFirst().get("owner").equals(survivor.name()))
                        .getFirst().get("owner").toString();
                assertThat(next).isEqualTo(survivor.name()).isNotEqualTo(leader);
                resolvesADeadlock(participant, survivor, db, "After");
            } finally {
                first.close();
                second.close();
            }
        } finally {
            PostgresTestDatabase.drop(database);
        }
    }

    private static void resolvesADeadlock(TestParticipant participant, AppProcess node, Db db, String phase) {
        TestParticipant.Behaviour together = TestParticipant.together(2, TestParticipant.ok());
        participant.on("/" + phase + "High/1", together);
        participant.on("/" + phase + "Low/1", together);
        String high = id(node.post("/api/v1/sagas", crossing(participant, phase + "High", 7, "x-" + phase, "y-" + phase).json()).body());
        String low = id(node.post("/api/v1/sagas", crossing(participant, phase + "Low", 2, "y-" + phase, "x-" + phase).json()).body());

        Eventually.await("both sagas to end", Duration.ofSeconds(60),
                () -> db.count("SELECT count(*) FROM sagas WHERE id IN ('" + high + "', '" + low + "') AND ended_at IS NOT NULL"),
                n -> n == 2);
        List<Map<String, Object>> rows = db.rows("SELECT id::text AS id, status, reason FROM sagas WHERE id IN ('"
                + high + "', '" + low + "') ORDER BY priority");
        assertThat(rows.get(0).get("status")).isEqualTo("COMPENSATED");
        assertThat(rows.get(0).get("reason")).isEqualTo("DEADLOCK_VICTIM");
        assertThat(rows.get(1).get("status")).isEqualTo("COMPLETED");
        assertThat(db.count("SELECT count(*) FROM deadlocks WHERE victim_saga_id = '" + low + "'")).isEqualTo(1);
    }

    private static SagaBuilder crossing(TestParticipant participant, String type, int priority, String first, String second) {
        return aSaga().type(type).priority(priority)
                .step("one", participant.url("/" + type + "/1")).withLock(first, "EXCLUSIVE")
                .withCompensation(participant.url("/" + type + "/undo-1"))
                .step("two", participant.url("/" + type + "/2")).withLock(second, "EXCLUSIVE");
    }

    private static String id(String body) {
        return SagaBuilder.parse(body).get("id").asText();
    }
}
