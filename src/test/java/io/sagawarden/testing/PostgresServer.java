package io.sagawarden.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL server of a test's own, made with the installed server binaries ({@code initdb}, {@code pg_ctl}) in a
 * throwaway directory on a free loopback port, so the test may crash and restart it without touching the shared
 * server everything else uses. As root the server runs as the {@code postgres} OS user, as PostgreSQL requires.
 */
public final class PostgresServer implements AutoCloseable {

    private final Path bin;
    private final List<String> asOwner;
    private final Path dataDir;
    private final int port;
    private final Map<String, String> settings;

    private PostgresServer(Path bin, List<String> asOwner, Path dataDir, int port, Map<String, String> settings) {
        this.bin = bin;
        this.asOwner = asOwner;
        this.dataDir = dataDir;
        this.port = port;
        this.settings = settings;
    }

    /** Where the server binaries are missing or cannot run here, the reason why. */
    public static final class Unavailable extends Exception {
        Unavailable(String reason) {
            super(reason);
        }
    }

    /** Initialises and starts a server with the role {@code sagawarden} as its superuser (trust on loopback). */
    public static PostgresServer start() throws Unavailable {
        return start(Map.of());
    }

    /** As {@link #start()}, with server settings ({@code -c name=value}) of its own, such as preloaded libraries. */
    public static PostgresServer start(Map<String, String> settings) throws Unavailable {
        Path bin = binaries().orElseThrow(() -> new Unavailable("no PostgreSQL server binaries under /usr/lib/postgresql"));
        List<String> asOwner = new ArrayList<>();
        if ("root".equals(System.getProperty("user.name"))) {
            asOwner.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        try {
            Path dataDir = Path.of(output(asOwner, "mktemp", "-d", "/tmp/sw-pg-XXXXXX").strip());
            PostgresServer server = new PostgresServer(bin, asOwner, dataDir, Processes.freePort(), Map.copyOf(settings));
            server.run(Duration.ofSeconds(120), bin.resolve("initdb").toString(), "-D", dataDir.resolve("data").toString(),
                    "-U", PostgresTestDatabase.USER, "--auth=trust", "-E", "UTF8", "--no-sync");
            server.startServer();
            return server;
        } catch (IllegalStateException e) {
            throw new Unavailable("cannot run a PostgreSQL server of the test's own: " + e.getMessage());
        }
    }

    public int port() {
        return port;
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    public void createDatabase(String name) {
        try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"), PostgresTestDatabase.USER, "");
             Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes {@code database} as SQL to {@code file}, to look at after a failed test. */
    public void dump(String database, Path file) {
        String sql = output(List.of(), Duration.ofSeconds(120), bin.resolve("pg_dump").toString(), "-h", "127.0.0.1",
                "-p", Integer.toString(port), "-U", PostgresTestDatabase.USER, database);
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, sql);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Crashes the server ({@code pg_ctl stop -m immediate}: no checkpoint, every connection cut), leaves it down
     * for {@code down}, and starts it again, which replays the WAL as after a power cut.
     */
    public void crashAndRestart(Duration down) {
        run(Duration.ofSeconds(60), pgCtl("-m", "immediate", "-w", "stop"));
        Processes.sleep(down.toMillis());
        startServer();
    }

    @Override
    public void close() {
        try {
            run(Duration.ofSeconds(60), pgCtl("-m", "immediate", "-w", "stop"));
        } catch (RuntimeException e) {
            // already down
        }
        run(Duration.ofSeconds(60), "rm", "-rf", dataDir.toString());
    }

    /** The server's main process, whose children are its backends and background workers. */
    public long postmasterPid() {
        try {
            return Long.parseLong(Files.readAllLines(dataDir.resolve("data").resolve("postmaster.pid")).getFirst().strip());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void startServer() {
        StringBuilder options = new StringBuilder("-p " + port + " -k " + dataDir
                + " -c listen_addresses=127.0.0.1 -c max_connections=200");
        settings.forEach((name, value) -> options.append(" -c ").append(name).append('=').append(value));
        run(Duration.ofSeconds(60), pgCtl("-w", "-t", "60", "-l", dataDir.resolve("server.log").toString(), "-o",
                options.toString(), "start"));
    }

    private String[] pgCtl(String... args) {
        List<String> command = new ArrayList<>(List.of(bin.resolve("pg_ctl").toString(), "-D", dataDir.resolve("data").toString()));
        command.addAll(List.of(args));
        return command.toArray(String[]::new);
    }

    private void run(Duration timeout, String... command) {
        output(asOwner, timeout, command);
    }

    private static String output(List<String> prefix, String... command) {
        return output(prefix, Duration.ofSeconds(30), command);
    }

    private static String output(List<String> prefix, Duration timeout, String... command) {
        List<String> full = new ArrayList<>(prefix);
        full.addAll(List.of(command));
        try {
            Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", full) + " did not finish within " + timeout);
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", full) + " exited " + p.exitValue() + ": " + out.strip());
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", full) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The bin directory of the newest installed server. */
    private static Optional<Path> binaries() {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb"))
                            && Files.isExecutable(b.resolve("pg_ctl")))
                    .max(Comparator.comparingInt(PostgresServer::version));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static int version(Path bin) {
        try {
            return Integer.parseInt(bin.getParent().getFileName().toString());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
