package io.sagawarden.bench;

import io.sagawarden.testing.PostgresTestDatabase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
