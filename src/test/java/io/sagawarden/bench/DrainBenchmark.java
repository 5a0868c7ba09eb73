package io.sagawarden.bench;

import static io.sagawarden.testing.SagaBuilder.aSaga;

import io.sagawarden.testing.AppProcess;
import io.sagawarden.testing.Db;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.PostgresServer;
import io.sagawarden.testing.PostgresTestDatabase;
import io.sagawarden.testing.TestParticipant;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Drain benchmark (run on purpose: {@code ./mvnw verify -Pbench -Dbench=DrainBenchmark}): what one executing node
 * costs per saga. On a PostgreSQL server of the benchmark's own (so that its CPU time is the benchmark's alone, with
 * {@code pg_stat_statements} loaded), an API-only node stores warm-up sagas and {@code bench.sagas} (3,000) held
 * ones; one executing node then runs the warm-up, the held sagas are released at once, and it drains them against a
 * participant that answers at once. Printed: drain throughput from the database's own timestamps beside the
 * minimal-saga pgbench yardstick of the same server, CPU time per saga of the service, PostgreSQL and the
 * participant (from {@code /proc}), commits and WAL per saga, the statements that took most of PostgreSQL's time
 * and, with {@code -Dbench.jfr=true}, the service's hottest methods over the drain (JFR execution samples).
 */
class DrainBenchmark {

    static final int SAGAS = Integer.getInteger("bench.sagas", 3000);
    /** Warm-up sagas per round; rounds go on until the JIT compilers are done (or there were {@code WARM_ROUNDS}). */
    static final int WARM_UP = Integer.getInteger("bench.warmUp", 1000);
    static final int WARM_ROUNDS = Integer.getInteger("bench.warmRounds", 20);
    /** Compiling is done enough when the compilers take less than this share of the service's CPU in a round. */
    static final double COMPILING_DONE = 0.05;
    static final boolean JFR = Boolean.getBoolean("bench.jfr");

    @Test
    void drain() throws Exception {
        try (PostgresServer server = PostgresServer.start(Map.of("shared_preload_libraries", "pg_stat_statements",
                "pg_stat_statements.track", "top", "pg_stat_statements.track_planning", "on",
                "shared_buffers", "256MB"))) {
            PgBench.Yardstick yardstick = PgBench.minimalSagas(server, 8, 15);
            server.createDatabase("drain");
            String url = server.jdbcUrl("drain");
            Map<String, String> node = Map.of("quarkus.datasource.jdbc.url", url, "quarkus.datasource.password", "",
                    "quarkus.log.level", "WARN");
            try (TestParticipant participant = TestParticipant.start()) {
                store(participant, node);
                try (Connection db = DriverManager.getConnection(url, PostgresTestDatabase.USER, "")) {
                    execute(db, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
                    drain(server, db, participant, node, yardstick);
                }
            }
        }
    }

    /** An API-only node stores the warm-up sagas and the held ones, then leaves. */
    private static void store(TestParticipant participant, Map<String, String> node) throws Exception {
        Map<String, String> apiOnly = new java.util.HashMap<>(node);
        apiOnly.put("saga.execution.enabled", "false");
        try (AppProcess api = AppProcess.start("bench-api", "unused", apiOnly)) {
            ExecutorService clients = Executors.newFixedThreadPool(8);
            List<Future<?>> sent = new ArrayList<>();
            for (int i = 0; i < WARM_ROUNDS * WARM_UP + SAGAS; i++) {
                String saga = saga(participant, i < WARM_ROUNDS * WARM_UP ? "warm-" + i / WARM_UP : "drain");
                sent.add(clients.submit(() -> {
                    if (api.post("/api/v1/sagas", saga).statusCode() != 201) {
                        throw new IllegalStateException("submission refused");
                    }
                }));
            }
            for (Future<?> f : sent) {
                f.get();
            }
            clients.shutdownNow();
        }
    }

    private static void drain(PostgresServer server, Connection db, TestParticipant participant, Map<String, String> node,
                              PgBench.Yardstick yardstick) throws Exception {
        execute(db, "UPDATE sagas SET next_run_at = now() + interval '1 day' WHERE labels ->> 'phase' <> 'warm-0'");
        try (AppProcess executor = AppProcess.start("bench-drain", "unused", node)) {
            warmUp(db, server, executor);
            execute(db, "CHECKPOINT");
            execute(db, "SELECT pg_stat_statements_reset()");
            Snapshot before = Snapshot.take(db, server, executor);
            if (JFR) {
                Jcmd.run(executor, "JFR.start", "name=drain", "settings=profile");
            }
            execute(db, "UPDATE sagas SET next_run_at = now() WHERE labels ->> 'phase' = 'drain'");
            awaitEnded(db, "drain");
            Snapshot after = Snapshot.take(db, server, executor);
            Path recording = Path.of("target", "drain.jfr").toAbsolutePath();
            if (JFR) {
                Jcmd.run(executor, "JFR.dump", "name=drain", "filename=" + recording);
            }
            double seconds = number(db, "SELECT extract(epoch FROM max(ended_at) - min(started_at)) FROM sagas "
                    + "WHERE labels ->> 'phase' = 'drain'");
            long completed = (long) number(db, "SELECT count(*) FROM sagas WHERE labels ->> 'phase' = 'drain' "
                    + "AND status = 'COMPLETED'");
            double rate = SAGAS / seconds;

            System.out.printf("%n=== Drain benchmark (one executing node, %d stored 3-step sagas, participant answers at once) ===%n", SAGAS);
            System.out.printf("minimal-saga pgbench, 8 clients, 15 s: %8.1f sagas/s   PostgreSQL CPU %5.2f ms/saga (yardstick)%n",
                    yardstick.sagasPerSecond(), yardstick.cpuMsPerSaga());
            System.out.printf("drain throughput:                      %8.1f sagas/s   (%d completed in %.1f s)%n", rate,
                    completed, seconds);
            System.out.printf("drain / yardstick:                     %8.2f%n", rate / yardstick.sagasPerSecond());
            System.out.printf("CPU per saga: service %5.2f ms   PostgreSQL %5.2f ms   participant and bench %5.2f ms%n",
                    (after.service() - before.service()) * 1000 / SAGAS, (after.postgres() - before.postgres()) * 1000 / SAGAS,
                    (after.bench() - before.bench()) * 1000 / SAGAS);
            printThreads(before, after);
            System.out.printf("commits per saga: %5.2f   statements per saga: %5.2f   WAL per saga: %6.0f bytes%n",
                    (after.commits() - before.commits()) / (double) SAGAS,
                    number(db, "SELECT sum(calls) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database "
                            + "WHERE datname = current_database())") / SAGAS,
                    number(db, "SELECT sum(wal_bytes) FROM pg_stat_statements") / SAGAS);
            System.out.printf("%nTop statements by PostgreSQL time over the drain (pg_stat_statements):%n");
            System.out.print(Statements.top(Db.ofUrl(server.jdbcUrl("drain")), SAGAS));
            System.out.printf("%nMost frequent statements:%n");
            try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("""
                    SELECT calls, left(regexp_replace(query, '\\s+', ' ', 'g'), 100) FROM pg_stat_statements
                    WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                    ORDER BY calls DESC LIMIT 10""")) {
                while (rs.next()) {
                    System.out.printf("%9.2f per saga  %s%n", rs.getLong(1) / (double) SAGAS, rs.getString(2));
                }
            }
            if (JFR) {
                JfrHotSpots.print(recording);
            }
        }
    }

    /**
     * Runs rounds of warm-up sagas until the JIT compilers take less than {@link #COMPILING_DONE} of the service's CPU
     * in a round, so the drain measures a node that runs rather than one that still compiles; the rounds not needed
     * are deleted.
     */
    private static void warmUp(Connection db, PostgresServer server, AppProcess executor) throws SQLException {
        for (int round = 0; round < WARM_ROUNDS; round++) {
            Snapshot before = Snapshot.take(db, server, executor);
            execute(db, "UPDATE sagas SET next_run_at = now() WHERE labels ->> 'phase' = 'warm-" + round + "'");
            awaitEnded(db, "warm-" + round);
            Snapshot after = Snapshot.take(db, server, executor);
            double share = compiling(before, after) / (after.service() - before.service());
            System.out.printf("warm-up round %d (%d sagas): JIT compilers %.0f %% of the service's CPU%n", round + 1,
                    WARM_UP, 100 * share);
            if (share < COMPILING_DONE) {
                break;
            }
        }
        execute(db, "DELETE FROM saga_events WHERE saga_id IN (SELECT id FROM sagas WHERE labels ->> 'phase' LIKE 'warm-%' "
                + "AND ended_at IS NULL)");
        execute(db, "DELETE FROM sagas WHERE labels ->> 'phase' LIKE 'warm-%' AND ended_at IS NULL");
        // The warm-up's dead rows are its own: vacuumed now, an autovacuum of them would bill the drain.
        execute(db, "VACUUM (ANALYZE) sagas, saga_steps, saga_events");
    }

    private static String saga(TestParticipant participant, String phase) {
        return aSaga().type("DrainSaga").label("phase", phase)
                .step("reserve", participant.url("/reserve")).withCompensation(participant.url("/release"))
                .step("charge", participant.url("/charge")).withCompensation(participant.url("/refund"))
                .step("ship", participant.url("/ship")).json();
    }

    private static void awaitEnded(Connection db, String phase) {
        Eventually.await(phase + " sagas to end", Duration.ofMinutes(10), () -> {
            try {
                return number(db, "SELECT count(*) FROM sagas WHERE labels ->> 'phase' = '" + phase + "' AND ended_at IS NULL");
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }, n -> n == 0, Duration.ofSeconds(1));
    }

    /** CPU seconds so far of the service, PostgreSQL and this JVM (the participant), and the database's commits. */
    private record Snapshot(double service, double postgres, double bench, long commits, Map<String, Double> threads) {
        static Snapshot take(Connection db, PostgresServer server, AppProcess executor) throws SQLException {
            return new Snapshot(ProcessCpu.seconds(executor.pid()), ProcessCpu.treeSeconds(server.postmasterPid()),
                    ProcessCpu.seconds(ProcessHandle.current().pid()),
                    (long) number(db, "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"),
                    ProcessCpu.secondsByThread(executor.pid()));
        }
    }

    /**
     * The service's CPU per saga by thread, and how much of it the JIT compilers took: compiling is what a node pays
     * once after it starts, so a drain that still compiles measures the start as well as the steady state.
     */
    private static void printThreads(Snapshot before, Snapshot after) {
        Map<String, Double> used = used(before, after);
        double compiling = compiling(before, after);
        System.out.printf("service CPU per saga by thread (JIT compilers %.2f ms of it; without them %.2f ms):%n",
                compiling * 1000 / SAGAS, (after.service() - before.service() - compiling) * 1000 / SAGAS);
        used.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(8)
                .forEach(e -> System.out.printf("  %5.2f ms  %s%n", e.getValue() * 1000 / SAGAS, e.getKey()));
    }

    private static Map<String, Double> used(Snapshot before, Snapshot after) {
        Map<String, Double> used = new java.util.HashMap<>();
        after.threads().forEach((kind, seconds) -> used.put(kind, seconds - before.threads().getOrDefault(kind, 0.0)));
        return used;
    }

    /** CPU seconds the service's JIT compiler threads used between the two snapshots. */
    private static double compiling(Snapshot before, Snapshot after) {
        return used(before, after).entrySet().stream().filter(e -> e.getKey().contains("CompilerThre"))
                .mapToDouble(Map.Entry::getValue).sum();
    }

    private static void execute(Connection db, String sql) throws SQLException {
        try (Statement s = db.createStatement()) {
            s.execute(sql);
        }
    }

    private static double number(Connection db, String sql) throws SQLException {
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getDouble(1);
        }
    }
}
