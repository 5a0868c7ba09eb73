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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
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
    /** Deadlocks injected at once. */
    static final int WAVE = 8;
    static final int WARM_UP_ROUNDS = 5;
    static final int MEASURED_ROUNDS = 15;

    @Test
    void deadlocks() throws Exception {
        double pgbenchTps = PgBench.simpleUpdateTps(8, 10);
        System.out.printf("%n=== Deadlock benchmark ===%n");
        System.out.printf("pgbench -N, 8 clients, 10 s:             %8.0f TPS (yardstick)%n", pgbenchTps);
        if (!Boolean.getBoolean("bench.roundsOnly")) {
            detectionLatency();
        }
        for (String n : System.getProperty("bench.roundSizes", "10000,20000,40000,80000,100000").split(",")) {
            if (!n.isBlank()) {
                roundAt(Integer.parseInt(n.strip()));
            }
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
                if (i % WAVE == WAVE - 1) {
                    // A wave at a time: a pair's first steps wait for each other at the participant, so pairs
                    // piling up faster than they end would fill every worker slot with half pairs.
                    for (Future<?> f : pairs) {
                        f.get();
                    }
                    Eventually.await("the wave of deadlocks to end", Duration.ofMinutes(1),
                            () -> db.count("SELECT count(*) FROM sagas WHERE ended_at IS NULL"), n -> n == 0);
                }
            }
            for (Future<?> f : pairs) {
                f.get();
            }
            clients.shutdownNow();
            Eventually.await("all deadlocked sagas to end", Duration.ofMinutes(3),
                    () -> db.count("SELECT count(*) FROM sagas WHERE ended_at IS NULL"), n -> n == 0);
            // Per victim: the cycle-closing wait (the later of the pair's two waits), the abort, the compensation.
            List<Map<String, Object>> timings = db.rows("""
                    SELECT extract(epoch FROM c.at - closing.at) * 1000 AS total,
                           extract(epoch FROM d.at - closing.at) * 1000 AS detect,
                           extract(epoch FROM c.at - d.at) * 1000 AS handoff
                    FROM sagas v
                    JOIN saga_events c ON c.saga_id = v.id AND c.kind = 'COMPENSATING'
                    JOIN saga_events d ON d.saga_id = v.id AND d.kind = 'DEADLOCK_VICTIM'
                    CROSS JOIN LATERAL (SELECT max(w.at) AS at FROM saga_events w JOIN sagas s ON s.id = w.saga_id
                                        WHERE w.kind = 'WAITING_FOR_LOCK'
                                          AND s.type IN (v.type, left(v.type, -1) || 'a')) closing
                    WHERE v.reason = 'DEADLOCK_VICTIM'""");
            List<Double> latencies = column(timings, "total");
            long victims = db.count("SELECT count(*) FROM sagas WHERE reason = 'DEADLOCK_VICTIM'");
            long survivors = db.count("SELECT count(*) FROM sagas WHERE status = 'COMPLETED'");
            System.out.printf("injected deadlocks:                      %8d  in waves of %d (victims %d, completed %d)%n",
                    DEADLOCKS, WAVE, victims, survivors);
            if (victims != DEADLOCKS || survivors != DEADLOCKS) {
                throw new AssertionError("every injected deadlock must cost exactly one victim");
            }
            System.out.printf("detection latency (cycle-closing wait -> victim COMPENSATING): p50 %.1f ms  p99 %.1f ms  max %.1f ms%n",
                    Stats.median(latencies), Stats.percentile(latencies, 99), Stats.percentile(latencies, 100));
            System.out.printf("  of which wait -> abort decided:        p50 %.1f ms  p99 %.1f ms;  abort -> COMPENSATING: p50 %.1f ms  p99 %.1f ms%n",
                    Stats.median(column(timings, "detect")), Stats.percentile(column(timings, "detect"), 99),
                    Stats.median(column(timings, "handoff")), Stats.percentile(column(timings, "handoff"), 99));
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
        // The heap of the Kubernetes deployment (75 % of a 768 Mi container), where the detector would run.
        try (AppProcess app = AppProcess.start("bench-" + n, database, Map.of("quarkus.log.level", "WARN",
                "saga.execution.enabled", "false", "saga.recovery.interval", "PT1H"), List.of("-Xmx576m"))) {
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
            // Vacuumed as well as analyzed: an autovacuum of the fresh rows would otherwise take a core mid-run.
            db.execute("VACUUM (ANALYZE) sagas, resource_locks, lock_waits");
            List<Double> rounds = new ArrayList<>();
            // The leader runs rounds all the time: the first ones, in a cold JVM, are warm-up and not counted.
            for (int k = -WARM_UP_ROUNDS; k < MEASURED_ROUNDS; k++) {
                double[] before = roundMetric(app);
                // A new wait (the end of the second chain queues behind the head of the first: no cycle) changes
                // the wait tables, so the round runs instead of being skipped as unchanged.
                db.execute("DELETE FROM lock_waits WHERE saga_id = '00000000-0000-0000-0000-000000000014'");
                db.execute("INSERT INTO lock_waits (resource, saga_id, mode, queued_at) VALUES ('r1', "
                        + "'00000000-0000-0000-0000-000000000014', 'SHARED', now())");
                db.execute("SELECT pg_notify('saga_waits', '')");
                double[] after = Eventually.await("a detector round", Duration.ofMinutes(1), () -> roundMetric(app),
                        m -> m[0] > before[0]);
                if (k >= 0) {
                    rounds.add((after[1] - before[1]) * 1000 / (after[0] - before[0]));
                }
            }
            long edges = db.count("SELECT count(*) FROM lock_waits");
            System.out.printf("detector round at %,7d waiting sagas (%,d edges): median %7.1f ms  min %7.1f ms  p90 %7.1f ms  max %7.1f ms%n",
                    n, edges, Stats.median(rounds), Stats.percentile(rounds, 0), Stats.percentile(rounds, 90),
                    Stats.percentile(rounds, 100));
        } finally {
            PostgresTestDatabase.drop(database);
        }
    }

    private static List<Double> column(List<Map<String, Object>> rows, String name) {
        return rows.stream().map(r -> ((Number) r.get(name)).doubleValue()).toList();
    }

    private static double[] roundMetric(AppProcess app) {
        String metrics = app.metrics();
        return new double[] {value(metrics, "deadlock_detection_duration_seconds_count"),
            value(metrics, "deadlock_detection_duration_seconds_sum")};
    }

    private static double value(String metrics, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "(\\{[^}]*})? ([0-9.eE+-]+)$").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(2)) : 0;
    }

    /**
     * The heap a round's graph holds per wait, in this JVM, for 100,000 waits, the edge records included: as a
     * chain (nothing can be on a cycle, so the JGraphT graph stays empty) and as one ring (every edge goes into
     * it, the worst case). Each shape is built twice and the first is not reported: whatever ran before may
     * still be freed while it is measured.
     */
    private static void memoryPerEdge() throws InterruptedException {
        for (boolean ring : new boolean[] {false, true}) {
            measureGraph(ring);
            double[] figures = measureGraph(ring);
            System.out.printf("wait-for graph of 100,000 waits as %-5s %8.0f bytes per edge, graph + search %6.1f ms%n",
                    ring ? "ring:" : "chain:", figures[0], figures[1]);
        }
    }

    /** Bytes per edge and milliseconds for graph and search; in a method of its own, so nothing outlives it. */
    private static double[] measureGraph(boolean ring) throws InterruptedException {
        int n = 100_000;
        Instant now = Instant.now();
        Map<UUID, SagaNode> nodes = new HashMap<>();
        for (int i = 0; i < n; i++) {
            nodes.put(new UUID(0, i), new SagaNode(new UUID(0, i), "Seeded", i % 7, now, false, false));
        }
        // Three graphs kept side by side: the growth per graph is what one holds, whatever else is freed meanwhile.
        List<WaitForGraph> kept = new ArrayList<>();
        long before = usedHeap();
        double findMs = 0;
        for (int copy = 0; copy < 3; copy++) {
            List<WaitEdge> edges = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                UUID holder = new UUID(0, ring && i == n - 1 ? 0 : i + 1);
                edges.add(new WaitEdge(new UUID(0, i), holder, "r" + (i + 1), LockMode.EXCLUSIVE,
                        LockMode.EXCLUSIVE, LockQueue.Kind.HARD, now));
            }
            long started = System.nanoTime();
            WaitForGraph graph = new WaitForGraph(edges);
            List<DeadlockFinder.Resolution> found = DeadlockFinder.resolve(graph, nodes, now);
            findMs = (System.nanoTime() - started) / 1e6;
            if (graph.edgeCount() != n || found.size() != (ring ? 1 : 0)) {
                throw new IllegalStateException("the graph lost edges or deadlocks");
            }
            kept.add(graph);
        }
        long after = usedHeap();
        return new double[] {(after - before) / (double) (n * kept.size()), findMs};
    }

    /** The heap in use once collections stop freeing anything (cleaners of earlier work may free more later). */
    private static long usedHeap() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 20; i++) {
            System.gc();
            Thread.sleep(50);
            long now = rt.totalMemory() - rt.freeMemory();
            if (Math.abs(used - now) < 64 * 1024) {
                return now;
            }
            used = now;
        }
        return used;
    }

    private static SagaBuilder crossing(TestParticipant participant, String type, int priority, String first, String second) {
        return aSaga().type(type).priority(priority)
                .step("one", participant.url("/" + type + "/1")).withLock(first, "EXCLUSIVE")
                .withCompensation(participant.url("/" + type + "/undo-1"))
                .step("two", participant.url("/" + type + "/2")).withLock(second, "EXCLUSIVE");
    }
}
