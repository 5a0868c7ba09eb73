package io.sagawarden.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A PostgreSQL primary with a synchronous standby and a pg_auto_failover monitor that promotes the standby when the
 * primary fails: three servers on free loopback ports in a throwaway directory ({@link PgAutoctl}), each run by its
 * keeper ({@code pg_autoctl run}), started and stopped by the test. Loopback connections are trusted, and the role
 * {@code sagawarden} is a superuser.
 */
public final class PgAutoFailover implements AutoCloseable {

    private static final String HOST = "127.0.0.1";
    private static final String MONITOR = "monitor";
    private static final List<String> NODES = List.of("node1", "node2");
    /**
     * The monitor's defaults take about 50 s to promote (20 s until a silent node counts as unhealthy, then 30 s
     * for the old primary to demote itself); a test wants seconds. The demote timeout stays above the keepers'
     * network partition timeout, so the old primary, were it only cut off, would stop taking writes first.
     */
    private static final Map<String, Integer> MONITOR_TIMING_MS = Map.of("health_check_period", 1000,
            "health_check_timeout", 1000, "health_check_max_retries", 1, "health_check_retry_delay", 500,
            "node_considered_unhealthy_timeout", 3000, "primary_demote_timeout", 5000);
    private static final String NETWORK_PARTITION_TIMEOUT_SECONDS = "3";

    /** A server of the cluster: its pg_auto_failover name and port. */
    public record Node(String name, int port) {
        @Override
        public String toString() {
            return name + " (" + HOST + ":" + port + ")";
        }
    }

    private final PgAutoctl autoctl;
    private final String superuser;
    private final int monitorPort = Processes.freePort();
    private final List<Node> nodes = NODES.stream().map(n -> new Node(n, Processes.freePort())).toList();
    private final Map<String, Process> keepers = new LinkedHashMap<>();
    private Node killed;
    private long killedAt;
    /** Where the servers put their Unix sockets: a killed server leaves its socket and lock file there. */
    private String socketDir;

    private PgAutoFailover(PgAutoctl autoctl) {
        this.autoctl = autoctl;
        this.superuser = autoctl.owner();
    }

    /** Forms the cluster and waits until the primary has a synchronous standby, or says why it cannot run here. */
    public static PgAutoFailover start() throws PostgresServer.Unavailable {
        PgAutoFailover cluster = new PgAutoFailover(PgAutoctl.inNewDirectory());
        try {
            cluster.form();
            return cluster;
        } catch (RuntimeException | AssertionError e) {
            cluster.saveLogs(Path.of("target", "it-logs"));
            cluster.close();
            throw e;
        }
    }

    /** The URL an application uses: both servers, and the driver connects to whichever is the primary. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + nodes.stream().map(n -> HOST + ":" + n.port()).collect(Collectors.joining(","))
                + "/" + database + "?targetServerType=primary";
    }

    public void createDatabase(String name) {
        execute(jdbcUrl("postgres"), PostgresTestDatabase.USER, "CREATE DATABASE " + name);
    }

    /** The node the monitor names primary now; empty when the monitor names none or does not answer. */
    public Optional<Node> primary() {
        String name = answer(url(monitorPort, "pg_auto_failover"),
                "SELECT primary_name FROM pgautofailover.get_primary('default', 0)");
        return nodes.stream().filter(n -> n.name().equals(name)).findFirst();
    }

    /**
     * SIGKILL to the primary's keeper and every process under it (its PostgreSQL server and the server's backends),
     * as when its machine dies: nothing shuts down cleanly and nothing is left to restart the server.
     */
    public Node killPrimary() {
        Node primary = primary().orElseThrow(() -> new IllegalStateException("the monitor names no primary"));
        Process keeper = keepers.get(primary.name());
        List<ProcessHandle> tree = Stream.concat(Stream.of(keeper.toHandle()), keeper.descendants()).toList();
        tree.forEach(ProcessHandle::destroyForcibly);
        killedAt = System.nanoTime();
        killed = primary;
        return primary;
    }

    /** Waits until the surviving standby takes writes, and answers how long that took since {@link #killPrimary()}. */
    public Duration awaitPromotion(Duration timeout) {
        Node survivor = nodes.stream().filter(n -> !n.equals(killed)).findFirst().orElseThrow();
        await(survivor + " to be promoted and take writes", timeout, () -> takesWrites(survivor));
        return Duration.ofNanos(System.nanoTime() - killedAt);
    }

    /**
     * Copies the keepers' and servers' logs, with the monitor's view of the nodes and its latest events, to a new
     * directory under {@code into}, to look at after a failed test.
     */
    public void saveLogs(Path into) {
        Path target = into.resolve("pg_auto_failover-" + LocalTime.now().format(DateTimeFormatter.ofPattern("HHmmss")));
        Path dir = autoctl.dir();
        try (Stream<Path> files = Files.walk(dir)) {
            Files.createDirectories(target);
            for (Path log : files.filter(f -> f.toString().endsWith(".log") && Files.isRegularFile(f)).toList()) {
                Files.copy(log, target.resolve(dir.relativize(log).toString().replace(File.separatorChar, '_')));
            }
            Path state = target.resolve("monitor-state.txt");
            autoctl.start(state, "show", "state", "--pgdata", autoctl.data(MONITOR)).waitFor(30, TimeUnit.SECONDS);
            autoctl.start(state, "show", "events", "--count", "40", "--pgdata", autoctl.data(MONITOR))
                    .waitFor(30, TimeUnit.SECONDS);
            System.out.println("pg_auto_failover: logs in " + target + "\n" + Files.readString(state));
        } catch (IOException e) {
            System.out.println("pg_auto_failover: could not save all logs: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the keepers (standbys first, the monitor last), kills what does not stop, and removes the directory. */
    @Override
    public void close() {
        for (String name : new ArrayList<>(keepers.keySet()).reversed()) {
            Process keeper = keepers.get(name);
            if (keeper.isAlive()) {
                try {
                    autoctl.run("stop-" + name, "stop", "--pgdata", autoctl.data(name));
                    keeper.waitFor(30, TimeUnit.SECONDS);
                } catch (RuntimeException e) {
                    // it does not answer: killed below
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            Stream.concat(keeper.descendants(), Stream.of(keeper.toHandle())).forEach(ProcessHandle::destroyForcibly);
        }
        if (killed != null && socketDir != null) {
            String socket = ".s.PGSQL." + killed.port();
            Stream.of(socket, socket + ".lock").forEach(f -> Path.of(socketDir, f).toFile().delete());
        }
        autoctl.removeDirectory();
    }

    private void form() {
        autoctl.run("create-monitor", "create", "monitor", "--pgctl", autoctl.pgCtl(), "--pgdata",
                autoctl.data(MONITOR), "--pgport", Integer.toString(monitorPort), "--hostname", HOST, "--auth", "trust",
                "--no-ssl");
        // `create monitor` has no --listen: without this the monitor would listen on every address.
        autoctl.run("listen-monitor", "config", "set", "--pgdata", autoctl.data(MONITOR), "postgresql.listen_addresses",
                HOST);
        run(MONITOR);
        String monitor = url(monitorPort, "pg_auto_failover");
        await("the monitor to answer", Duration.ofSeconds(60), () -> answer(monitor, "SELECT 1") != null);
        Stream<String> timing = MONITOR_TIMING_MS.entrySet().stream()
                .map(e -> "ALTER SYSTEM SET pgautofailover." + e.getKey() + " = " + e.getValue());
        execute(monitor, superuser, Stream.concat(timing, Stream.of("SELECT pg_reload_conf()")).toArray(String[]::new));

        Node first = nodes.getFirst();
        join(first);
        await(first + " to take writes", Duration.ofSeconds(60), () -> takesWrites(first));
        String primary = url(first.port(), "postgres");
        socketDir = query(primary, "SHOW unix_socket_directories").split(",")[0].strip();
        // A base backup starts with a spread checkpoint, which after the initdb's writes can take minutes: unless
        // there is nothing left for it to write.
        execute(primary, superuser, "CREATE ROLE " + PostgresTestDatabase.USER + " LOGIN SUPERUSER", "CHECKPOINT");
        nodes.subList(1, nodes.size()).forEach(this::join);
        String settled = "SELECT string_agg(goalstate::text, ',' ORDER BY goalstate::text) FROM pgautofailover.node "
                + "WHERE reportedstate = goalstate";
        await("a primary and a secondary", Duration.ofSeconds(120),
                () -> "primary,secondary".equals(answer(monitor, settled)));
    }

    /** Registers a server with the monitor (the second one as a standby, from a base backup) and runs its keeper. */
    private void join(Node node) {
        autoctl.run("create-" + node.name(), "create", "postgres", "--pgctl", autoctl.pgCtl(), "--pgdata",
                autoctl.data(node.name()), "--pgport", Integer.toString(node.port()), "--hostname", HOST, "--listen",
                HOST, "--name", node.name(), "--auth", "trust", "--no-ssl", "--monitor",
                "postgres://autoctl_node@" + HOST + ":" + monitorPort + "/pg_auto_failover?sslmode=disable");
        autoctl.run("timeout-" + node.name(), "config", "set", "--pgdata", autoctl.data(node.name()),
                "timeout.network_partition_timeout", NETWORK_PARTITION_TIMEOUT_SECONDS);
        run(node.name());
    }

    private void run(String name) {
        keepers.put(name, autoctl.start(autoctl.dir().resolve(name + ".log"), "run", "--pgdata", autoctl.data(name)));
    }

    private boolean takesWrites(Node node) {
        try {
            // A socket timeout: a commit that waits for a standby that is gone must not hold the probe.
            execute(url(node.port(), "postgres") + "?socketTimeout=2", superuser,
                    "CREATE TABLE IF NOT EXISTS failover_probe (at timestamptz)",
                    "INSERT INTO failover_probe VALUES (now())");
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    private String query(String url, String sql) {
        try (Connection c = DriverManager.getConnection(url, superuser, ""); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            throw new IllegalStateException(url + ": " + e.getMessage(), e);
        }
    }

    private static void execute(String url, String user, String... statements) {
        try (Connection c = DriverManager.getConnection(url, user, ""); Statement s = c.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(url + ": " + e.getMessage(), e);
        }
    }

    /** As {@link #query}, or null where the server does not answer. */
    private String answer(String url, String sql) {
        try {
            return query(url, sql);
        } catch (IllegalStateException e) {
            return null;
        }
    }

    private static String url(int port, String database) {
        return "jdbc:postgresql://" + HOST + ":" + port + "/" + database;
    }

    private static void await(String what, Duration timeout, BooleanSupplier done) {
        Eventually.await(what, timeout, done::getAsBoolean, ok -> ok, Duration.ofMillis(100));
    }
}
