package io.sagawarden.bench;

import static io.sagawarden.testing.SagaBuilder.aSaga;

import io.sagawarden.testing.AppProcess;
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
    static final int WARM_UP = Integer.getInteger("bench.warmUp", 600);
    static final boolean JFR = Boolean.getBoolean("bench.jfr");

    @Test
    void drain() throws Exception {
        try (PostgresServer server = PostgresServer.start(Map.of("shared_preload_libraries", "pg_stat_statements",
                "pg_stat_statements.track", "top", "shared_buffers", "256MB"))) {
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
            for (int i = 0; i < WARM_UP + SAGAS; i++) {
                String saga = saga(participant, i < WARM_UP ? "warm" : "drain");
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
        execute(db, "UPDATE sagas SET next_run_at = now() + interval '1 day' WHERE labels ->> 'phase' = 'drain'");
        try (AppProcess executor = AppProcess.start("bench-drain", "unused", node)) {
            awaitEnded(db, "warm");
            execute(db, "CHECKPOINT");
            execute(db, "SELECT pg_stat_statements_reset()");
            Snapshot before = Snapshot.take(db, server, executor);
            if (JFR) {
                jcmd(executor, "JFR.start", "name=drain", "settings=profile");
            }
            execute(db, "UPDATE sagas SET next_run_at = now() WHERE labels ->> 'phase' = 'drain'");
            awaitEnded(db, "drain");
            Snapshot after = Snapshot.take(db, server, executor);
            Path recording = Path.of("target", "drain.jfr").toAbsolutePath();
            if (JFR) {
                jcmd(executor, "JFR.dump", "name=drain", "filename=" + recording);
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
            System.out.printf("commits per saga: %5.2f   statements per saga: %5.2f   WAL per saga: %6.0f bytes%n",
                    (after.commits() - before.commits()) / (double) SAGAS,
                    number(db, "SELECT sum(calls) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database "
                            + "WHERE datname = current_database())") / SAGAS,
                    number(db, "SELECT sum(wal_bytes) FROM pg_stat_statements") / SAGAS);
            System.out.printf("%nTop statements by PostgreSQL time over the drain (pg_stat_statements):%n");
            System.out.printf("%9s %9s %8s %9s  %s%n", "calls", "total ms", "mean ms", "per saga", "statement");
            try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("""
                    SELECT calls, total_exec_time, mean_exec_time,
                           left(regexp_replace(query, '\\s+', ' ', 'g'), 120) AS query
                    FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                    ORDER BY total_exec_time DESC LIMIT 12""")) {
                while (rs.next()) {
                    System.out.printf("%9d %9.0f %8.3f %9.2f  %s%n", rs.getLong(1), rs.getDouble(2), rs.getDouble(3),
                            rs.getLong(1) / (double) SAGAS, rs.getString(4));
                }
            }
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
    private record Snapshot(double service, double postgres, double bench, long commits) {
        static Snapshot take(Connection db, PostgresServer server, AppProcess executor) throws SQLException {
            return new Snapshot(ProcessCpu.seconds(executor.pid()), ProcessCpu.treeSeconds(server.postmasterPid()),
                    ProcessCpu.seconds(ProcessHandle.current().pid()),
                    (long) number(db, "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"));
        }
    }

    private static void jcmd(AppProcess app, String... command) throws Exception {
        Path jcmd = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("jcmd");
        List<String> full = new ArrayList<>(List.of(jcmd.toString(), Long.toString(app.pid())));
        full.addAll(List.of(command));
        Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", full) + ": " + out);
        }
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
