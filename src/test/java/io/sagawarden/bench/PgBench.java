package io.sagawarden.bench;

import io.sagawarden.testing.PostgresServer;
import io.sagawarden.testing.PostgresTestDatabase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** PostgreSQL's own ceiling on this machine, measured with pgbench in the same run as a yardstick. */
final class PgBench {

    private PgBench() {
    }

    /** TPS of {@code pgbench -N} (no contended branch updates) with the given clients, on a fresh database. */
    static double simpleUpdateTps(int clients, int seconds) {
        String database = PostgresTestDatabase.create();
        try {
            String host = PostgresTestDatabase.HOST.substring(0, PostgresTestDatabase.HOST.indexOf(':'));
            String port = PostgresTestDatabase.HOST.substring(PostgresTestDatabase.HOST.indexOf(':') + 1);
            List<String> conn = List.of("-h", host, "-p", port, "-U", PostgresTestDatabase.USER);
            run(concat(List.of("pgbench", "-q", "-i", "-s", "10"), conn, List.of(database)));
            String out = run(concat(List.of("pgbench", "-N", "-c", Integer.toString(clients), "-j", "2",
                    "-T", Integer.toString(seconds)), conn, List.of(database)));
            Matcher m = Pattern.compile("tps = ([0-9.]+)").matcher(out);
            if (!m.find()) {
                throw new IllegalStateException("no tps in pgbench output:\n" + out);
            }
            return Double.parseDouble(m.group(1));
        } finally {
            PostgresTestDatabase.drop(database);
        }
    }

    /**
     * Sagas per second of PostgreSQL alone doing the least a durable three-step saga must write (the pgbench
     * script {@code bench/minimal-saga.sql}: five commits, each a guarded change plus an event row), with the
     * given clients, on a fresh database of {@code server}; and the server's CPU time per such saga.
     */
    static Yardstick minimalSagas(PostgresServer server, int clients, int seconds) {
        String database = "yardstick_" + System.nanoTime();
        server.createDatabase(database);
        try (Connection c = DriverManager.getConnection(server.jdbcUrl(database), PostgresTestDatabase.USER, "");
             Statement s = c.createStatement()) {
            s.execute(Files.readString(Path.of("src/test/resources/bench/minimal-saga-schema.sql")));
        } catch (SQLException | IOException e) {
            throw new IllegalStateException(e);
        }
        List<String> conn = List.of("-h", "127.0.0.1", "-p", Integer.toString(server.port()), "-U", PostgresTestDatabase.USER);
        double cpuBefore = ProcessCpu.treeSeconds(server.postmasterPid());
        String out = run(concat(List.of("pgbench", "-n", "-f", "src/test/resources/bench/minimal-saga.sql",
                "-c", Integer.toString(clients), "-j", "2", "-T", Integer.toString(seconds)), conn, List.of(database)));
        // pgbench's backends exit as it ends: once reaped, their time is the postmaster's children's time.
        awaitNoClients(server, database);
        double cpu = ProcessCpu.treeSeconds(server.postmasterPid()) - cpuBefore;
        Matcher tps = Pattern.compile("tps = ([0-9.]+)").matcher(out);
        Matcher done = Pattern.compile("number of transactions actually processed: ([0-9]+)").matcher(out);
        if (!tps.find() || !done.find()) {
            throw new IllegalStateException("no tps in pgbench output:\n" + out);
        }
        return new Yardstick(Double.parseDouble(tps.group(1)), cpu * 1000 / Long.parseLong(done.group(1)));
    }

    private static void awaitNoClients(PostgresServer server, String database) {
        try (Connection c = DriverManager.getConnection(server.jdbcUrl("postgres"), PostgresTestDatabase.USER, "");
             Statement s = c.createStatement()) {
            for (int i = 0; i < 100; i++) {
                try (var rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = '" + database + "'")) {
                    rs.next();
                    if (rs.getLong(1) == 0) {
                        break;
                    }
                }
                Thread.sleep(50);
            }
            Thread.sleep(200);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code sagasPerSecond}: minimal sagas per second; {@code cpuMsPerSaga}: PostgreSQL's CPU time for each. */
    record Yardstick(double sagasPerSecond, double cpuMsPerSaga) {
    }

    private static List<String> concat(List<String> a, List<String> b, List<String> c) {
        return java.util.stream.Stream.of(a, b, c).flatMap(List::stream).toList();
    }

    private static String run(List<String> command) {
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().put("PGPASSWORD", PostgresTestDatabase.PASSWORD);
            Process process = builder.start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (process.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed:\n" + out);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("pgbench is needed for the yardstick (deploy/local/postgres.sh installs it)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
