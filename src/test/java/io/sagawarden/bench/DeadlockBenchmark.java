package io.sagawarden.bench;

import static io.sagawarden.testing.SagaBuilder.aSaga;

import io.sagawarden.deadlock.DeadlockFinder;
import io.sagawarden.deadlock.SagaNode;
import io.sagawarden.deadlock.WaitEdge;
import io.sagawarden.deadlock.WaitForGraph;
import io.sagawarden.lock.LockMode;
import io.sagawarden.lock.LockQueue;
import io.sagawarden.testing.AppProcess;
import io.sagawarden.testing.Db;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.PostgresTestDatabase;
import io.sagawarden.testing.SagaBuilder;
import io.sagawarden.testing.TestParticipant;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Deadlock benchmark ({@code ./mvnw verify -Pbench -Dbench=DeadlockBenchmark}): detection latency over real
 * injected deadlocks, one detector round at 10,000 and 100,000 waiting sagas seeded with generate_series,
 * twelve sagas upgrading one resource, and the memory the graph takes per wait edge.
 */
class DeadlockBenchmark {

    static final int DEADLOCKS = Integer.getInteger("bench.deadlocks", 200);

    @Test
    void deadlocks() throws Exception {
        double pgbenchTps = PgBench.simpleUpdateTps(8, 10);
        System.out.printf("%n=== Deadlock benchmark ===%n");
        System.out.printf("pgbench -N, 8 clients, 10 s:             %8.0f TPS (yardstick)%n", pgbenchTps);
        if (!Boolean.getBoolean("bench.roundsOnly")) {
            detectionLatency();
        }
        for (int n : new int[] {10_000, 20_000, 40_000, 100_000}) {
            roundAt(n);
        }
        memoryPerEdge();
    }

    /** From the wait that closes a cycle to the victim compensating, over real sagas and participants. */
    private static void detectionLatency() throws Exception {
        String database = PostgresTestDatabase.create();
        Db db = new Db(database);
        try (TestParticipant participant = TestParticipant.start();
             AppProcess app = AppProcess.start("bench", database, Map.of("quarkus.log.level", "WARN"))) {
            ExecutorService clients = Executors.newFixedThreadPool(8);
            List<Future<?>> pairs = new ArrayList<>();
            for (int i = 0; i < DEADLOCKS; i++) {
                int pair = i;
                pairs.add(clients.submit(() -> {
                    TestParticipant.Behaviour together = TestParticipant.together(2, TestParticipant.ok());
                    participant.on("/p" + pair + "a/1", together);
                    participant.on("/p" + pair + "b/1", together);
                    app.post("/api/v1/sagas", crossing(participant, "p" + pair + "a", 5, "x" + pair, "y" + pair).json());
                    app.post("/api/v1/sagas", crossing(participant, "p" + pair + "b", 1, "y" + pair, "x" + pair).json());
                }));
                if (i % 8 == 7) {
                    for (Future<?> f : pairs) {
                        f.get();
                    }
                }
            }
            for (Future<?> f : pairs) {
                f.get();
            }
            clients.shutdownNow();
            Eventually.await("all deadlocked sagas to end", Duration.ofMinutes(3),
                    () -> db.count("SELECT count(*) FROM sagas WHERE ended_at IS NULL"), n -> n == 0);
            List<Double> latencies = db.rows("""
                    SELECT extract(epoch FROM c.at - (SELECT max(w.at) FROM saga_events w
                                 JOIN sagas s ON s.id = w.saga_id
                                 WHERE w.kind = 'WAITING_FOR_LOCK' AND s.type IN (v.type, left(v.type, -1) || 'a'))) * 1000 AS ms
                    FROM sagas v JOIN saga_events c ON c.saga_id = v.id AND c.kind = 'COMPENSATING'
                    WHERE v.reason = 'DEADLOCK_VICTIM'""").stream().map(r -> ((Number) r.get("ms")).doubleValue()).toList();
            long victims = db.count("SELECT count(*) FROM sagas WHERE reason = 'DEADLOCK_VICTIM'");
            long survivors = db.count("SELECT count(*) FROM sagas WHERE status = 'COMPLETED'");
            System.out.printf("injected deadlocks:                      %8d  (victims %d, completed %d)%n", DEADLOCKS,
                    victims, survivors);
            System.out.printf("detection latency (cycle-closing wait -> victim COMPENSATING): p50 %.1f ms  p99 %.1f ms  max %.1f ms%n",
                    Stats.median(latencies), Stats.percentile(latencies, 99), Stats.percentile(latencies, 100));
            twelveUpgraders(participant, app, db);
        } finally {
            PostgresTestDatabase.drop(database);
        }
    }

    /** Twelve sagas read one resource, then all ask to write it: eleven victims, in one round. */
    private static void twelveUpgraders(TestParticipant participant, AppProcess app, Db db) {
        TestParticipant.Behaviour together = TestParticipant.together(12, TestParticipant.ok());
        participant.on("/upgrade/read", together);
        for (int i = 0; i < 12; i++) {
            app.post("/api/v1/sagas", aSaga().type("Upgrader").priority(i)
                    .step("read", participant.url("/upgrade/read")).withLock("hot", "SHARED")
                    .withCompensation(participant.url("/upgrade/undo"))
                    .step("write", participant.url("/upgrade/write")).withLock("hot", "EXCLUSIVE").json());
        }
        Eventually.await("the upgraders to end", Duration.ofMinutes(1),
                () -> db.count("SELECT count(*) FROM sagas WHERE type = 'Upgrader' AND ended_at IS NULL"), n -> n == 0);
        Map<String, Object> row = db.rows("""
                SELECT extract(epoch FROM (SELECT max(e.at) FROM saga_events e JOIN sagas s ON s.id = e.saga_id
                                           WHERE s.type = 'Upgrader' AND e.kind = 'DEADLOCK_VICTIM')
                                        - (SELECT max(e.at) FROM saga_events e JOIN sagas s ON s.id = e.saga_id
                                           WHERE s.type = 'Upgrader' AND e.kind = 'WAITING_FOR_LOCK')) * 1000 AS ms,
                       (SELECT count(*) FROM sagas WHERE type = 'Upgrader' AND reason = 'DEADLOCK_VICTIM') AS victims,
                       (SELECT count(*) FROM sagas WHERE type = 'Upgrader' AND status = 'COMPLETED') AS completed""").getFirst();
        System.out.printf("12 sagas upgrading one resource:         %8.1f ms from the last wait to the last victim's abort "
                + "(victims %s, completed %s)%n", ((Number) row.get("ms")).doubleValue(), row.get("victims"), row.get("completed"));
    }

    /**
     * One detector round, SQL included, at {@code n} waiting sagas: chains of ten (each saga holds its resource and
     * waits for the next one's), seeded with generate_series; the round time is read from the detector's own metric.
     */
    private static void roundAt(int n) throws Exception {
        String database = PostgresTestDatabase.create();
        Db db = new Db(database);
        // Only the detector runs: the seeded sagas have no steps to execute and must not be "recovered" either.
        try (AppProcess app = AppProcess.start("bench-" + n, database, Map.of("quarkus.log.level", "WARN",
                "saga.execution.enabled", "false", "saga.recovery.interval", "PT1H"))) {
            db.execute("""
                    INSERT INTO sagas (id, type, status, priority, definition, submitter, request_hash, next_run_at,
                                       created_at, started_at, updated_at, progress_at)
                    SELECT ('00000000-0000-0000-0000-' || lpad(to_hex(i), 12, '0'))::uuid, 'Seeded', 'WAITING', 0, '{}',
                           'bench', 'x', 'infinity', now(), now(), now(), now()
                    FROM generate_series(1, %d) i""".formatted(n));
            db.execute("""
                    INSERT INTO resource_locks (resource, saga_id, mode, granted_at, fencing_token)
                    SELECT 'r' || i, ('00000000-0000-0000-0000-' || lpad(to_hex(i), 12, '0'))::uuid, 'EXCLUSIVE', now(), i
                    FROM generate_series(1, %d) i""".formatted(n));
            db.execute("""
                    INSERT INTO lock_waits (resource, saga_id, mode, queued_at)
                    SELECT 'r' || (i + 1), ('00000000-0000-0000-0000-' || lpad(to_hex(i), 12, '0'))::uuid, 'EXCLUSIVE', now()
                    FROM generate_series(1, %d) i WHERE i %% 10 <> 0""".formatted(n));
            db.execute("ANALYZE");
            List<Double> rounds = new ArrayList<>();
            for (int k = 0; k < 7; k++) {
                double[] before = roundMetric(app);
                // A changed wait (max seq moves) makes the round run instead of being skipped as unchanged.
                db.execute("INSERT INTO lock_waits (resource, saga_id, mode, queued_at) VALUES ('r1', "
                        + "'00000000-0000-0000-0000-000000000002', 'SHARED', now()) ON CONFLICT DO NOTHING");
                db.execute("DELETE FROM lock_waits WHERE resource = 'r1'");
                db.execute("SELECT pg_notify('saga_waits', '')");
                double[] after = Eventually.await("a detector round", Duration.ofMinutes(1), () -> roundMetric(app),
                        m -> m[0] > before[0]);
                rounds.add((after[1] - before[1]) * 1000 / (after[0] - before[0]));
            }
            long edges = db.count("SELECT count(*) FROM lock_waits");
            System.out.printf("detector round at %,7d waiting sagas (%,d edges): median %7.1f ms  min %7.1f ms  max %7.1f ms%n",
                    n, edges, Stats.median(rounds), Stats.percentile(rounds, 0), Stats.percentile(rounds, 100));
        } finally {
            PostgresTestDatabase.drop(database);
        }
    }

    private static double[] roundMetric(AppProcess app) {
        try {
            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(app.baseUrl() + "/q/metrics"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body();
            return new double[] {value(metrics, "deadlock_detection_duration_seconds_count"),
                value(metrics, "deadlock_detection_duration_seconds_sum")};
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static double value(String metrics, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "(\\{[^}]*})? ([0-9.eE+-]+)$").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(2)) : 0;
    }

    /** The heap the wait-for graph takes per edge, in this JVM, for 100,000 chained waits. */
    private static void memoryPerEdge() {
        int n = 100_000;
        List<WaitEdge> edges = new ArrayList<>(n);
        Instant now = Instant.now();
        for (int i = 0; i < n; i++) {
            edges.add(new WaitEdge(new UUID(0, i), new UUID(0, i + 1), "r" + (i + 1), LockMode.EXCLUSIVE,
                    LockMode.EXCLUSIVE, LockQueue.Kind.HARD, now));
        }
        long before = usedHeap();
        WaitForGraph graph = new WaitForGraph(edges);
        long after = usedHeap();
        long started = System.nanoTime();
        List<DeadlockFinder.Resolution> found = DeadlockFinder.resolve(graph, Map.<UUID, SagaNode>of(), now);
        double findMs = (System.nanoTime() - started) / 1e6;
        System.out.printf("wait-for graph memory:                   %8.0f bytes per edge (100,000 edges, JGraphT, edge records excluded)%n",
                (after - before) / (double) n);
        System.out.printf("SCC search alone, 100,000 edges, no SQL: %8.1f ms (%d deadlocks)%n", findMs, found.size());
    }

    private static long usedHeap() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }

    private static SagaBuilder crossing(TestParticipant participant, String type, int priority, String first, String second) {
        return aSaga().type(type).priority(priority)
                .step("one", participant.url("/" + type + "/1")).withLock(first, "EXCLUSIVE")
                .withCompensation(participant.url("/" + type + "/undo-1"))
                .step("two", participant.url("/" + type + "/2")).withLock(second, "EXCLUSIVE");
    }
}
