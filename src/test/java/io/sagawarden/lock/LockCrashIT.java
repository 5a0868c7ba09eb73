package io.sagawarden.lock;

import static io.sagawarden.testing.SagaBuilder.aSaga;
import static org.assertj.core.api.Assertions.assertThat;

import io.sagawarden.testing.AppProcess;
import io.sagawarden.testing.Db;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.PostgresTestDatabase;
import io.sagawarden.testing.SagaBuilder;
import io.sagawarden.testing.TestParticipant;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * kill -9 the node whose saga holds a hot EXCLUSIVE lock across a slow call: the lock is not lost with the
 * node. It stays with its saga until the other node reclaims that saga (after its lease expires), finishes it and
 * only then hands the lock to the next waiter; every saga completes and nothing is left behind.
 */
class LockCrashIT {

    private static final int SAGAS = 30;
    private static final String HOT = "hot:sku-1";

    @Test
    void a_lock_held_by_a_saga_on_a_killed_node_is_kept_until_that_saga_ends_elsewhere() throws Exception {
        String database = PostgresTestDatabase.create();
        Db db = new Db(database);
        Map<String, String> settings = Map.of("saga.execution.lease", "PT2S", "saga.execution.heartbeat", "PT0.5S",
                "saga.execution.poll-interval", "PT0.2S", "saga.execution.concurrency", "16",
                "saga.execution.compensation-retry.initial-backoff", "PT0.1S",
                "saga.execution.compensation-retry.max-backoff", "PT0.5S");
        record Flight(String saga, long token, long start) {
        }
        List<Flight> inFlight = new ArrayList<>();
        List<String> overlaps = new CopyOnWriteArrayList<>();
        List<String> missingTokens = new CopyOnWriteArrayList<>();
        AppProcess a = null;
        try (TestParticipant participant = TestParticipant.start()) {
            // Every call of these sagas runs under the hot EXCLUSIVE lock: no two sagas may be in flight at once.
            participant.otherwise((n, call) -> {
                String saga = call.header("Saga-Id");
                Long token = hotToken(call.header("Saga-Fencing-Tokens"));
                if (token == null) {
                    missingTokens.add(saga + " " + call.header("Saga-Step") + ": " + call.header("Saga-Fencing-Tokens"));
                    return TestParticipant.json(200, "{}").reply(n, call);
                }
                Flight me = new Flight(saga, token, System.nanoTime());
                synchronized (inFlight) {
                    for (Flight other : inFlight) {
                        if (!other.saga().equals(saga)) {
                            overlaps.add("saga " + saga + " (token " + token + ", step " + call.header("Saga-Step")
                                    + ") called while saga " + other.saga() + " (token " + other.token() + ") was in flight");
                        }
                    }
                    inFlight.add(me);
                }
                try {
                    Thread.sleep(call.path().equals("/slow") ? 300 : 10);
                } finally {
                    synchronized (inFlight) {
                        inFlight.remove(me);
                    }
                }
                return TestParticipant.json(200, "{\"ok\": true}").reply(n, call);
            });
            String saga = aSaga().type("HotLockSaga")
                    .step("take", participant.url("/take")).withLock(HOT, "EXCLUSIVE")
                    .withCompensation(participant.url("/untake"))
                    .step("slow", participant.url("/slow")).json();

            a = AppProcess.start("node-a", database, settings);
            try (AppProcess b = AppProcess.start("node-b", database, settings)) {
                Set<String> ids = new HashSet<>();
                for (int i = 0; i < SAGAS; i++) {
                    var response = (i % 2 == 0 ? a : b).post("/api/v1/sagas", saga);
                    assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
                    ids.add(SagaBuilder.parse(response.body()).get("id").asText());
                }

                String holderOnA = """
                        SELECT count(*) FROM resource_locks l JOIN sagas s ON s.id = l.saga_id
                        WHERE s.lease_owner = 'node-a'""";
                Eventually.await("5 sagas completed and a saga of node-a holding the hot lock", Duration.ofSeconds(90),
                        () -> db.count("SELECT count(*) FROM sagas WHERE status = 'COMPLETED'") >= 5
                                && db.count(holderOnA) > 0, done -> done);
                a.kill();
                // node-a is dead: the state its sagas were in is frozen until their leases expire.
                List<Map<String, Object>> heldAtKill = db.rows("""
                        SELECT l.saga_id::text AS saga, l.fencing_token FROM resource_locks l JOIN sagas s ON s.id = l.saga_id
                        WHERE s.lease_owner = 'node-a'""");
                System.out.printf("LockCrashIT: killed node-a while it held %s; %d sagas completed by then%n", heldAtKill,
                        db.count("SELECT count(*) FROM sagas WHERE status = 'COMPLETED'"));
                assertThat(heldAtKill).as("a saga of node-a held the hot lock when node-a was killed").hasSize(1);
                String victim = (String) heldAtKill.getFirst().get("saga");

                Eventually.await("every saga to end", Duration.ofSeconds(120),
                        () -> db.count("SELECT count(*) FROM sagas WHERE ended_at IS NULL"), n -> n == 0);

                assertThat(db.rows("SELECT id::text, status, reason FROM sagas WHERE status <> 'COMPLETED'"))
                        .as("sagas that did not complete").isEmpty();
                assertThat(db.count("SELECT count(*) FROM sagas")).isEqualTo(SAGAS);
                assertThat(db.count("SELECT count(*) FROM sagas WHERE lease_owner IS NOT NULL")).as("leases left").isZero();
                assertThat(db.count("SELECT count(*) FROM resource_locks")).as("locks left").isZero();
                assertThat(db.count("SELECT count(*) FROM lock_waits")).as("waits left").isZero();
                assertThat(db.count("SELECT count(*) FROM saga_events WHERE kind = 'RECLAIMED'"))
                        .as("node-b reclaimed node-a's sagas").isPositive();
                assertThat(db.count("SELECT count(*) FROM saga_events WHERE kind = 'RECLAIMED' AND saga_id = '"
                        + victim + "'")).as("the saga holding the lock at the crash was reclaimed").isPositive();
                assertThat(db.count("SELECT count(*) FROM saga_events WHERE kind = 'WAITING_FOR_LOCK'"))
                        .as("sagas queued for the hot lock").isPositive();

                assertMutualExclusionAcrossTheCrash(db, ids);
                assertThat(missingTokens).as("calls made without a fencing token for %s", HOT).isEmpty();
                assertThat(overlaps).as("calls of different sagas in flight at once under the EXCLUSIVE lock").isEmpty();
                // The saga caught by the crash had its slow call made again by node-b (at least once).
                assertThat(participant.calls("/slow").stream().filter(c -> victim.equals(c.header("Saga-Id"))).count())
                        .as("slow calls of the saga caught by the crash").isGreaterThanOrEqualTo(1);
            }
        } finally {
            if (a != null) {
                a.close();
            }
            PostgresTestDatabase.drop(database);
        }
    }

    /**
     * Ordered by the fencing token of its grant, each saga was granted the hot lock only after the previous
     * saga had ended: the lock was never released early, not even by the crash of its node.
     */
    private static void assertMutualExclusionAcrossTheCrash(Db db, Set<String> ids) {
        record Grant(String saga, long token, Timestamp at, Timestamp ended) {
        }
        List<Grant> grants = new ArrayList<>();
        for (Map<String, Object> row : db.rows("""
                SELECT e.saga_id::text AS saga, (e.detail -> 'fencingTokens' ->> '%s')::bigint AS token, e.at, s.ended_at
                FROM saga_events e JOIN sagas s ON s.id = e.saga_id
                WHERE e.kind = 'LOCKS_GRANTED' AND e.detail -> 'fencingTokens' ->> '%s' IS NOT NULL
                ORDER BY token""".formatted(HOT, HOT))) {
            grants.add(new Grant((String) row.get("saga"), ((Number) row.get("token")).longValue(),
                    (Timestamp) row.get("at"), (Timestamp) row.get("ended_at")));
        }
        Map<String, Integer> grantsPerSaga = new HashMap<>();
        grants.forEach(g -> grantsPerSaga.merge(g.saga(), 1, Integer::sum));
        assertThat(grantsPerSaga.keySet()).as("every saga was granted the hot lock").isEqualTo(ids);
        assertThat(grantsPerSaga.values()).as("grants per saga").containsOnly(1);
        for (int i = 1; i < grants.size(); i++) {
            Grant previous = grants.get(i - 1);
            Grant next = grants.get(i);
            assertThat(next.at()).as("saga %s (token %d) was granted %s at %s, after saga %s (token %d) ended at %s",
                            next.saga(), next.token(), HOT, next.at(), previous.saga(), previous.token(), previous.ended())
                    .isAfter(previous.ended());
        }
    }

    private static Long hotToken(String header) {
        if (header == null) {
            return null;
        }
        for (String part : header.split(",")) {
            int eq = part.lastIndexOf('=');
            if (eq > 0 && part.substring(0, eq).equals(HOT)) {
                return Long.parseLong(part.substring(eq + 1));
            }
        }
        return null;
    }
}
