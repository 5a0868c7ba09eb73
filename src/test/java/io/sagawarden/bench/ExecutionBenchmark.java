package io.sagawarden.bench;

import static io.sagawarden.testing.SagaBuilder.aSaga;

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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Execution benchmark (run on purpose: {@code ./mvnw verify -Pbench}): 3-step sagas whose participants answer at
 * once, no locks, on the packaged application. Prints sustained throughput, latency at a fixed offered load,
 * database commits per saga and, as the yardstick, pgbench -N TPS measured in the same run.
 */
class ExecutionBenchmark {

    static final int BURST = Integer.getInteger("bench.sagas", 3000);
    static final int RATE = Integer.getInteger("bench.rate", 50);
    static final int RATE_SECONDS = Integer.getInteger("bench.rateSeconds", 20);
    /** Enough sagas for the JIT compilers to be done with the hot path (see the drain benchmark's warm-up rounds). */
    static final int WARM_UP = Integer.getInteger("bench.warmUp", 12_000);

    @Test
    void execution() throws Exception {
        double pgbenchTps = PgBench.simpleUpdateTps(8, 15);
        String database = PostgresTestDatabase.create();
        Db db = new Db(database);
        try (TestParticipant participant = TestParticipant.start();
             AppProcess app = AppProcess.start("bench", database, Map.of("quarkus.log.level", "WARN", "quarkus.datasource.jdbc.max-size", "32"))) {
            String saga = aSaga().type("BenchSaga")
                    .step("reserve", participant.url("/reserve")).withCompensation(participant.url("/release"))
                    .step("charge", participant.url("/charge")).withCompensation(participant.url("/refund"))
                    .step("ship", participant.url("/ship")).json();
            warmUp(app, db, saga);

            // Idle latency: one saga at a time.
            List<Double> idle = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                String id = id(app.post("/api/v1/sagas", saga).body());
                Eventually.await("saga to end", Duration.ofSeconds(10),
                        () -> db.count("SELECT count(*) FROM sagas WHERE id = '" + id + "' AND ended_at IS NOT NULL"),
                        n -> n == 1);
                idle.add(latencyMs(db, "id = '" + id + "'").getFirst());
            }
            String hops = hops(db);

            // Fixed offered load.
            db.execute("UPDATE sagas SET labels = '{\"phase\": \"warm\"}'");
            ExecutorService clients = Executors.newFixedThreadPool(16);
            long interval = TimeUnit.SECONDS.toNanos(1) / RATE;
            long start = System.nanoTime();
            List<Future<?>> sent = new ArrayList<>();
            for (int i = 0; i < RATE * RATE_SECONDS; i++) {
                long due = start + i * interval;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                sent.add(clients.submit(() -> app.post("/api/v1/sagas", saga)));
            }
            for (Future<?> f : sent) {
                f.get();
            }
            awaitAllEnded(db);
            List<Double> loaded = latencyMs(db, "labels = '{}'::jsonb");
            db.execute("UPDATE sagas SET labels = '{\"phase\": \"rate\"}' WHERE labels = '{}'::jsonb");

            // Sustained throughput: a burst submitted as fast as 16 clients can, until all have ended.
            long commitsBefore = commits(db, database);
            long burstStart = System.nanoTime();
            List<Future<?>> burst = new ArrayList<>();
            for (int i = 0; i < BURST; i++) {
                burst.add(clients.submit(() -> app.post("/api/v1/sagas", saga)));
            }
            for (Future<?> f : burst) {
                f.get();
            }
            double submitSeconds = (System.nanoTime() - burstStart) / 1e9;
            awaitAllEnded(db);
            double burstSeconds = (System.nanoTime() - burstStart) / 1e9;
            long commits = commits(db, database) - commitsBefore;
            clients.shutdownNow();
            long completed = db.count("SELECT count(*) FROM sagas WHERE status = 'COMPLETED'");

            System.out.printf("%n=== Execution benchmark (3-step sagas, participants answer at once, no locks) ===%n");
            System.out.printf("pgbench -N, 8 clients, 15 s:        %8.0f TPS (yardstick)%n", pgbenchTps);
            System.out.printf("idle latency, 200 sagas one by one: p50 %6.1f ms   p99 %6.1f ms%n",
                    Stats.median(idle), Stats.percentile(idle, 99));
            System.out.printf("  where a lone saga's time goes (median from the previous event, or from its submission):%n%s", hops);
            System.out.printf("latency at %d sagas/s for %d s:     p50 %6.1f ms   p99 %6.1f ms  (%d sagas)%n", RATE,
                    RATE_SECONDS, Stats.median(loaded), Stats.percentile(loaded, 99), loaded.size());
            System.out.printf("burst of %d sagas:                 %8.1f sagas/s sustained (submitted in %.1f s, all ended in %.1f s)%n",
                    BURST, BURST / burstSeconds, submitSeconds, burstSeconds);
            System.out.printf("database commits per saga:          %8.2f  (%.2f per step)%n",
                    commits / (double) BURST, commits / (double) BURST / 3);
            System.out.printf("saga throughput / pgbench TPS:      %8.3f%n", BURST / burstSeconds / pgbenchTps);
            System.out.printf("completed: %d of %d%n", completed, completed);
        } finally {
            PostgresTestDatabase.drop(database);
        }
    }

    private static void warmUp(AppProcess app, Db db, String saga) throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(8);
        List<Future<?>> sent = new ArrayList<>();
        for (int i = 0; i < WARM_UP; i++) {
            sent.add(clients.submit(() -> app.post("/api/v1/sagas", saga)));
        }
        for (Future<?> f : sent) {
            f.get();
        }
        clients.shutdownNow();
        awaitAllEnded(db);
        db.execute("UPDATE sagas SET labels = '{\"phase\": \"warm\"}'");
    }

    /**
     * Where a lone saga's time goes: the median time from each event of its history to the next, for the sagas run one
     * at a time (those not yet labelled). Events of one transaction are apart by its statements only; a commit, a
     * wake-up or a participant call lies between the others.
     */
    private static String hops(Db db) {
        StringBuilder out = new StringBuilder();
        db.rows("""
                WITH e AS (SELECT e.kind, e.step, e.id, s.created_at,
                                  extract(epoch FROM e.at - coalesce(lag(e.at) OVER (PARTITION BY e.saga_id ORDER BY e.id),
                                                                     s.created_at)) * 1000 AS ms
                           FROM saga_events e JOIN sagas s ON s.id = e.saga_id WHERE s.labels = '{}'::jsonb)
                SELECT kind || coalesce(' ' || step, '') AS event, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50
                FROM e GROUP BY kind, step ORDER BY min(id)""").forEach(r -> out.append(String.format("  %6.2f ms  → %s%n",
                ((Number) r.get("p50")).doubleValue(), r.get("event"))));
        return out.toString();
    }

    private static void awaitAllEnded(Db db) {
        Eventually.await("all sagas to end", Duration.ofMinutes(5),
                () -> db.count("SELECT count(*) FROM sagas WHERE ended_at IS NULL"), n -> n == 0);
    }

    private static List<Double> latencyMs(Db db, String where) {
        return db.rows("SELECT extract(epoch FROM ended_at - created_at) * 1000 AS ms FROM sagas WHERE " + where)
                .stream().map(r -> ((Number) r.get("ms")).doubleValue()).toList();
    }

    private static long commits(Db db, String database) {
        return db.count("SELECT xact_commit FROM pg_stat_database WHERE datname = '" + database + "'");
    }

    private static String id(String body) {
        return io.sagawarden.testing.SagaBuilder.parse(body).get("id").asText();
    }
}
