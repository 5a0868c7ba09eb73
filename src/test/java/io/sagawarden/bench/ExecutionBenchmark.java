package io.sagawarden.bench;

import static io.sagawarden.testing.SagaBuilder.aSaga;

import io.sagawarden.testing.AppProcess;
import io.sagawarden.testing.Db;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.PostgresServer;
import io.sagawarden.testing.TestParticipant;
import java.nio.file.Path;
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
 * once, no locks, on the packaged application, one node taking the submissions and running them, on a PostgreSQL
 * server of the benchmark's own ({@code pg_stat_statements} loaded, planning tracked). Prints sustained
 * throughput, latency one at a time and at a fixed offered load, database commits per saga, the statements that
 * took PostgreSQL's time in each phase and, as the yardstick, the minimal-saga pgbench ceiling of the same run.
 */
class ExecutionBenchmark {

    static final int BURST = Integer.getInteger("bench.sagas", 3000);
    static final int RATE = Integer.getInteger("bench.rate", 50);
    static final int RATE_SECONDS = Integer.getInteger("bench.rateSeconds", 20);
    /** Enough sagas for the JIT compilers to be done with the hot path (see the drain benchmark's warm-up rounds). */
    static final int WARM_UP = Integer.getInteger("bench.warmUp", 12_000);

    static final boolean JFR = Boolean.getBoolean("bench.jfr");

    @Test
    void execution() throws Exception {
        try (PostgresServer server = PostgresServer.start(Map.of("shared_preload_libraries", "pg_stat_statements",
                "pg_stat_statements.track", "top", "pg_stat_statements.track_planning", "on",
                "shared_buffers", "256MB"))) {
            PgBench.Yardstick yardstick = PgBench.minimalSagas(server, 8, 15);
            // The least time a lone saga's five durable commits take, with nothing else to do.
            PgBench.Yardstick alone = PgBench.minimalSagas(server, 1, 10);
            server.createDatabase("execution");
            run(server, yardstick, alone);
        }
    }

    private static void run(PostgresServer server, PgBench.Yardstick yardstick, PgBench.Yardstick alone) throws Exception {
        String url = server.jdbcUrl("execution");
        Db db = Db.ofUrl(url);
        try (TestParticipant participant = TestParticipant.start();
             AppProcess app = AppProcess.start("bench", "unused", Map.of("quarkus.datasource.jdbc.url", url,
                     "quarkus.datasource.password", "", "quarkus.log.level", "WARN",
                     "quarkus.datasource.jdbc.max-size", "32"))) {
            String saga = aSaga().type("BenchSaga")
                    .step("reserve", participant.url("/reserve")).withCompensation(participant.url("/release"))
                    .step("charge", participant.url("/charge")).withCompensation(participant.url("/refund"))
                    .step("ship", participant.url("/ship")).json();
            warmUp(app, db, saga);
            db.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            db.execute("VACUUM ANALYZE");

            // Idle latency: one saga at a time.
            db.execute("SELECT pg_stat_statements_reset()");
            Calls callsBefore = Calls.of(app);
            List<Double> idle = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                String id = id(app.post("/api/v1/sagas", saga).body());
                Eventually.await("saga to end", Duration.ofSeconds(10),
                        () -> db.count("SELECT count(*) FROM sagas WHERE id = '" + id + "' AND ended_at IS NOT NULL"),
                        n -> n == 1);
                idle.add(latencyMs(db, "id = '" + id + "'").getFirst());
            }
            String hops = hops(db);
            double callMs = Calls.of(app).meanMsSince(callsBefore);
            String idleStatements = Statements.top(db, 200);

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
            long commitsBefore = commits(db);
            double serviceCpu = ProcessCpu.seconds(app.pid());
            double postgresCpu = ProcessCpu.treeSeconds(server.postmasterPid());
            db.execute("SELECT pg_stat_statements_reset()");
            if (JFR) {
                Jcmd.run(app, "JFR.start", "name=burst", "settings=profile");
            }
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
            // From the database's own times: the first submission stored to the last saga ended.
            double burstSeconds = db.rows("SELECT extract(epoch FROM max(ended_at) - min(created_at)) AS s FROM sagas "
                    + "WHERE labels = '{}'::jsonb").stream().mapToDouble(r -> ((Number) r.get("s")).doubleValue()).sum();
            long commits = commits(db) - commitsBefore;
            serviceCpu = ProcessCpu.seconds(app.pid()) - serviceCpu;
            postgresCpu = ProcessCpu.treeSeconds(server.postmasterPid()) - postgresCpu;
            clients.shutdownNow();
            String burstStatements = Statements.top(db, BURST);
            Path recording = Path.of("target", "execution.jfr").toAbsolutePath();
            if (JFR) {
                Jcmd.run(app, "JFR.dump", "name=burst", "filename=" + recording);
            }
            long completed = db.count("SELECT count(*) FROM sagas WHERE status = 'COMPLETED'");
            long all = db.count("SELECT count(*) FROM sagas");

            System.out.printf("%n=== Execution benchmark (3-step sagas, participants answer at once, no locks) ===%n");
            System.out.printf("minimal-saga pgbench, 8 clients, 15 s: %6.1f sagas/s (yardstick)%n",
                    yardstick.sagasPerSecond());
            System.out.printf("minimal-saga pgbench, 1 client, 10 s:  %6.2f ms a saga (the floor of a lone saga)%n",
                    1000 / alone.sagasPerSecond());
            System.out.printf("idle latency, 200 sagas one by one: p50 %6.1f ms   p99 %6.1f ms%n",
                    Stats.median(idle), Stats.percentile(idle, 99));
            System.out.printf("  where a lone saga's time goes (median from the previous event, or from its submission):%n%s", hops);
            System.out.printf("  of which each participant call, as the service timed it: %.2f ms (mean)%n", callMs);
            System.out.printf("latency at %d sagas/s for %d s:     p50 %6.1f ms   p99 %6.1f ms  (%d sagas)%n", RATE,
                    RATE_SECONDS, Stats.median(loaded), Stats.percentile(loaded, 99), loaded.size());
            System.out.printf("burst of %d sagas:                 %8.1f sagas/s sustained (submitted in %.1f s, all ended in %.1f s)%n",
                    BURST, BURST / burstSeconds, submitSeconds, burstSeconds);
            System.out.printf("CPU per saga of the burst: service %5.2f ms   PostgreSQL %5.2f ms (submission included)%n",
                    serviceCpu * 1000 / BURST, postgresCpu * 1000 / BURST);
            System.out.printf("database commits per saga:          %8.2f  (%.2f per step)%n",
                    commits / (double) BURST, commits / (double) BURST / 3);
            System.out.printf("burst / yardstick:                  %8.2f%n", BURST / burstSeconds / yardstick.sagasPerSecond());
            System.out.printf("completed: %d of %d%n", completed, all);
            System.out.printf("%nStatements of the sagas run one at a time (pg_stat_statements):%n%s", idleStatements);
            System.out.printf("%nStatements of the burst:%n%s", burstStatements);
            if (JFR) {
                JfrHotSpots.print(recording);
            }
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
     * at a time (those not yet labelled), with the start of the claim's transaction (the saga's {@code started_at})
     * among them. Events of one transaction are apart by its statements only; a commit, a wake-up or a participant
     * call lies between the others.
     */
    private static String hops(Db db) {
        StringBuilder out = new StringBuilder();
        db.rows("""
                WITH h AS (SELECT e.saga_id, e.at, e.id, e.kind || coalesce(' ' || e.step, '') AS event
                           FROM saga_events e JOIN sagas s ON s.id = e.saga_id WHERE s.labels = '{}'::jsonb
                           UNION ALL
                           SELECT id, started_at, 0, '(claim transaction begins)' FROM sagas WHERE labels = '{}'::jsonb),
                     e AS (SELECT h.event, row_number() OVER (PARTITION BY h.saga_id ORDER BY h.at, h.id) AS n,
                                  extract(epoch FROM h.at - coalesce(lag(h.at) OVER (PARTITION BY h.saga_id
                                      ORDER BY h.at, h.id), s.created_at)) * 1000 AS ms
                           FROM h JOIN sagas s ON s.id = h.saga_id)
                SELECT event, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50
                FROM e GROUP BY event ORDER BY avg(n)""")
                .forEach(r -> out.append(String.format("  %6.2f ms  → %s%n", ((Number) r.get("p50")).doubleValue(),
                        r.get("event"))));
        return out.toString();
    }

    /** The service's participant calls so far, from its {@code distributed_transaction_duration_seconds} timer. */
    private record Calls(double seconds, double count) {
        static Calls of(AppProcess app) {
            double seconds = 0;
            double count = 0;
            for (String line : app.metrics().lines().toList()) {
                if (line.startsWith("distributed_transaction_duration_seconds_sum")) {
                    seconds += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                } else if (line.startsWith("distributed_transaction_duration_seconds_count")) {
                    count += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            return new Calls(seconds, count);
        }

        double meanMsSince(Calls before) {
            return (seconds - before.seconds) * 1000 / (count - before.count);
        }
    }

    /** Asked once a second: the count reads the whole table, and asking more often would cost the figures. */
    private static void awaitAllEnded(Db db) {
        Eventually.await("all sagas to end", Duration.ofMinutes(5),
                () -> db.count("SELECT count(*) FROM sagas WHERE ended_at IS NULL"), n -> n == 0, Duration.ofSeconds(1));
    }

    private static List<Double> latencyMs(Db db, String where) {
        return db.rows("SELECT extract(epoch FROM ended_at - created_at) * 1000 AS ms FROM sagas WHERE " + where)
                .stream().map(r -> ((Number) r.get("ms")).doubleValue()).toList();
    }

    private static long commits(Db db) {
        return db.count("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()");
    }

    private static String id(String body) {
        return io.sagawarden.testing.SagaBuilder.parse(body).get("id").asText();
    }
}
