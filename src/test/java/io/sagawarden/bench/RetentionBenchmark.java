package io.sagawarden.bench;

import static io.sagawarden.testing.SagaBuilder.aSaga;

import io.sagawarden.testing.AppProcess;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.PostgresServer;
import io.sagawarden.testing.PostgresTestDatabase;
import io.sagawarden.testing.TestParticipant;
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
 * Retention benchmark (run on purpose: {@code ./mvnw verify -Pbench -Dbench=RetentionBenchmark}): how fast the leader
 * purges {@code bench.oldSagas} (1,000,000) sagas that ended 40 days ago, each with 3 steps and 11 events, and what
 * the purge costs sagas that run meanwhile. On a PostgreSQL server of its own, one node (retention every second,
 * batches of 500, resting 0.2 s between them) drains {@code bench.sagas} (2,000) fresh 3-step sagas to warm up, as
 * many again while it still purges, and as many again once the purge is done; the drain rates come from the
 * database's own timestamps.
 */
class RetentionBenchmark {

    static final int OLD_SAGAS = Integer.getInteger("bench.oldSagas", 1_000_000);
    static final int SAGAS = Integer.getInteger("bench.sagas", 2000);

    @Test
    void purge() throws Exception {
        try (PostgresServer server = PostgresServer.start(Map.of("shared_buffers", "256MB", "max_wal_size", "4GB"));
             TestParticipant participant = TestParticipant.start()) {
            server.createDatabase("retention");
            String url = server.jdbcUrl("retention");
            Map<String, String> node = Map.of("quarkus.datasource.jdbc.url", url, "quarkus.datasource.password", "",
                    "quarkus.log.level", "WARN");
            Map<String, String> apiOnly = new java.util.HashMap<>(node);
            apiOnly.put("saga.execution.enabled", "false");
            apiOnly.put("saga.retention.interval", "PT10H");
            try (AppProcess migrated = AppProcess.start("bench-schema", "unused", apiOnly)) {
                // Flyway has made the schema; nothing else runs here.
            }
            try (Connection db = DriverManager.getConnection(url, PostgresTestDatabase.USER, "")) {
                long filling = System.nanoTime();
                fill(db);
                System.out.printf("%n=== Retention benchmark ===%n%,d old sagas with 3 steps and 11 events each stored in %.0f s%n",
                        OLD_SAGAS, (System.nanoTime() - filling) / 1e9);

                Map<String, String> purging = new java.util.HashMap<>(node);
                purging.put("saga.retention.interval", "PT1S");
                try (AppProcess app = AppProcess.start("bench-retention", "unused", purging)) {
                    long purgeStart = System.nanoTime();
                    drain(app, db, participant, "warm-up");
                    double during = drain(app, db, participant, "during");
                    long leftAfterDrain = count(db, "SELECT count(*) FROM sagas WHERE type = 'OldSaga'");
                    Eventually.await("the old sagas purged", Duration.ofMinutes(30),
                            () -> count(db, "SELECT count(*) FROM sagas WHERE type = 'OldSaga'"), n -> n == 0,
                            Duration.ofSeconds(1));
                    double purgeSeconds = (System.nanoTime() - purgeStart) / 1e9;
                    long events = count(db, "SELECT count(*) FROM saga_events e WHERE NOT EXISTS "
                            + "(SELECT 1 FROM sagas s WHERE s.id = e.saga_id)");
                    double after = drain(app, db, participant, "after");

                    System.out.printf("purge: %,d sagas (with %,d steps and %,d events) in %.1f s: %,.0f sagas/s%n",
                            OLD_SAGAS, 3L * OLD_SAGAS, 11L * OLD_SAGAS, purgeSeconds, OLD_SAGAS / purgeSeconds);
                    System.out.printf("drain of %d sagas while purging: %6.1f sagas/s (%,d old sagas left when it ended)%n",
                            SAGAS, during, leftAfterDrain);
                    System.out.printf("drain of %d sagas after the purge: %6.1f sagas/s  (ratio %.2f)%n", SAGAS, after,
                            during / after);
                    System.out.printf("events left without their saga: %d%n", events);
                }
            }
        }
    }

    /** Old sagas that ended 40 days ago, each with its steps and history, written straight into the tables. */
    private static void fill(Connection db) throws SQLException {
        execute(db, """
                INSERT INTO sagas (id, type, status, definition, submitter, request_hash, current_step, version,
                                   next_run_at, created_at, started_at, updated_at, progress_at, ended_at)
                SELECT gen_random_uuid(), 'OldSaga', 'COMPLETED',
                       '{"type":"OldSaga","steps":[{"name":"a","action":{"method":"POST","url":"http://127.0.0.1:9/a"}},\
                {"name":"b","action":{"method":"POST","url":"http://127.0.0.1:9/b"}},\
                {"name":"c","action":{"method":"POST","url":"http://127.0.0.1:9/c"}}]}',
                       'bench', 'x', 3, 4, t, t, t, t, t, t
                FROM (SELECT now() - interval '40 days' + g * interval '1 millisecond' AS t
                      FROM generate_series(1, %d) g) AS times""".formatted(OLD_SAGAS));
        execute(db, """
                INSERT INTO saga_steps (saga_id, idx, name, status, attempts, started_at, ended_at, response)
                SELECT s.id, i, chr(97 + i), 'SUCCEEDED', 1, s.ended_at, s.ended_at, '{"ok": true}'
                FROM sagas s, generate_series(0, 2) i WHERE s.type = 'OldSaga'""");
        execute(db, """
                INSERT INTO saga_events (saga_id, at, kind, step, detail)
                SELECT s.id, s.ended_at, 'STEP_SUCCEEDED', 'a', '{"attempt": 1}'
                FROM sagas s, generate_series(1, 11) i WHERE s.type = 'OldSaga'""");
        execute(db, "VACUUM ANALYZE");
    }

    /** Submits the fresh sagas from 8 clients and answers their drain rate, first start to last end. */
    private static double drain(AppProcess app, Connection db, TestParticipant participant, String phase) throws Exception {
        String saga = aSaga().type("FreshSaga").label("phase", phase)
                .step("reserve", participant.url("/reserve")).withCompensation(participant.url("/release"))
                .step("charge", participant.url("/charge")).step("ship", participant.url("/ship")).json();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        List<Future<?>> sent = new ArrayList<>();
        for (int i = 0; i < SAGAS; i++) {
            sent.add(clients.submit(() -> app.post("/api/v1/sagas", saga)));
        }
        for (Future<?> f : sent) {
            f.get();
        }
        clients.shutdownNow();
        Eventually.await(phase + " sagas to end", Duration.ofMinutes(10), () -> count(db,
                "SELECT count(*) FROM sagas WHERE labels ->> 'phase' = '" + phase + "' AND ended_at IS NULL"),
                n -> n == 0, Duration.ofSeconds(1));
        return SAGAS / number(db, "SELECT extract(epoch FROM max(ended_at) - min(started_at)) FROM sagas "
                + "WHERE labels ->> 'phase' = '" + phase + "'");
    }

    private static void execute(Connection db, String sql) throws SQLException {
        try (Statement s = db.createStatement()) {
            s.execute(sql);
        }
    }

    private static long count(Connection db, String sql) {
        try {
            return (long) number(db, sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static double number(Connection db, String sql) throws SQLException {
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getDouble(1);
        }
    }
}
