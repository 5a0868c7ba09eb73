package io.sagawarden.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The installed {@code pg_autoctl}, run in a throwaway directory that holds its servers, configuration, state and
 * logs. As root it runs as the {@code postgres} OS user, since PostgreSQL and pg_autoctl refuse root.
 */
final class PgAutoctl {

    private final Path program;
    private final Path pgCtl;
    private final String owner;
    private final List<String> asOwner;
    private final Path dir;

    private PgAutoctl(Path program, Path pgCtl, String owner, List<String> asOwner, Path dir) {
        this.program = program;
        this.pgCtl = pgCtl;
        this.owner = owner;
        this.asOwner = asOwner;
        this.dir = dir;
    }

    /** pg_autoctl with a new directory of its own, or why it cannot run here. */
    static PgAutoctl inNewDirectory() throws PostgresServer.Unavailable {
        Path program = program().orElseThrow(() -> new PostgresServer.Unavailable(
                "pg_autoctl is not installed (Debian: apt-get install postgresql-15-auto-failover)"));
        Path pgCtl = serverWithExtension().orElseThrow(() -> new PostgresServer.Unavailable(
                "no PostgreSQL server under /usr/lib/postgresql has the pgautofailover extension"));
        boolean root = "root".equals(System.getProperty("user.name"));
        String owner = root ? "postgres" : System.getProperty("user.name");
        return new PgAutoctl(program, pgCtl, owner, root ? List.of("runuser", "-u", owner, "--") : List.of(),
                ownedDirectory(owner));
    }

    /** The OS user the servers run as, which initdb made their superuser. */
    String owner() {
        return owner;
    }

    Path dir() {
        return dir;
    }

    /** The server's pg_ctl, which pg_autoctl needs named where it is not on the PATH (as on Debian). */
    String pgCtl() {
        return pgCtl.toString();
    }

    /** The data directory of the server {@code name}. */
    String data(String name) {
        return dir.resolve(name).toString();
    }

    /** Runs a pg_autoctl command to its end; {@code step} names its log. */
    void run(String step, String... args) {
        Path log = dir.resolve(step + ".log");
        Process process = start(log, args);
        String command = "pg_autoctl " + String.join(" ", args);
        try {
            if (!process.waitFor(3, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IllegalStateException(command + " did not finish; see " + log);
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException(command + " exited " + process.exitValue() + ":\n"
                        + Files.readString(log).strip());
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Starts a pg_autoctl command, its output appended to {@code log}. Its configuration, state and pid files go
     * under the directory too, not into the owner's home and {@code /tmp} (where a missing runtime directory sends
     * them).
     */
    Process start(Path log, String... args) {
        List<String> command = new ArrayList<>(asOwner);
        command.addAll(List.of("env", "XDG_CONFIG_HOME=" + dir.resolve("config"),
                "XDG_DATA_HOME=" + dir.resolve("share"), "XDG_RUNTIME_DIR=" + dir.resolve("run"), program.toString()));
        command.addAll(List.of(args));
        try {
            return new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", command) + ": " + e.getMessage(), e);
        }
    }

    void removeDirectory() {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            System.out.println("pg_auto_failover: could not remove " + dir + ": " + e);
        }
    }

    /** A new directory in /tmp, with the runtime and configuration directories pg_autoctl wants, all the owner's. */
    private static Path ownedDirectory(String owner) throws PostgresServer.Unavailable {
        try {
            Path dir = Files.createTempDirectory(Path.of("/tmp"), "sw-paf-");
            UserPrincipal principal = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(owner);
            Files.setOwner(dir, principal);
            for (String sub : List.of("config", "share", "run")) {
                Files.setOwner(Files.createDirectory(dir.resolve(sub)), principal);
            }
            return dir;
        } catch (IOException e) {
            throw new PostgresServer.Unavailable("cannot make a directory for " + owner + ": " + e.getMessage());
        }
    }

    /** Debian puts pg_autoctl on the PATH; other packagings keep it beside the server binaries. */
    private static Optional<Path> program() {
        Stream<Path> onPath = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .filter(p -> !p.isBlank()).map(Path::of);
        return Stream.concat(onPath, serverBins()).map(b -> b.resolve("pg_autoctl")).filter(Files::isExecutable)
                .findFirst();
    }

    /** The pg_ctl of the newest server that has the monitor's and keepers' extension installed. */
    private static Optional<Path> serverWithExtension() {
        return serverBins().filter(b -> Files.isRegularFile(b.resolveSibling("lib").resolve("pgautofailover.so")))
                .map(b -> b.resolve("pg_ctl")).filter(Files::isExecutable).findFirst();
    }

    /** The bin directories under /usr/lib/postgresql, newest version first. */
    private static Stream<Path> serverBins() {
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            return versions.filter(v -> v.getFileName().toString().matches("\\d+"))
                    .sorted(Comparator.comparingInt((Path v) -> Integer.parseInt(v.getFileName().toString()))
                            .reversed())
                    .map(v -> v.resolve("bin")).toList().stream();
        } catch (IOException e) {
            return Stream.empty();
        }
    }
}
