package io.sagawarden.bench;

import io.sagawarden.testing.PostgresTestDatabase;
import io.sagawarden.testing.Processes;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Conductor OSS (the Spring Boot jar the {@code bench} profile copies to {@code target/conductor}) as a child
 * process on a free loopback port, with PostgreSQL for its store, queues and index and nothing else (no
 * Elasticsearch, no Redis). It needs a Java 17 to 21: {@code -Dbench.conductor.java=/path/to/bin/java}, else the
 * newest such JDK under {@code /usr/lib/jvm}, {@code /usr/local/lib/jvm} or {@code /opt/java}.
 */
final class ConductorProcess implements AutoCloseable {

    private static final Path JAR = Path.of("target", "conductor", "conductor-server-boot.jar");
    private static final List<Path> JVM_DIRS = List.of(Path.of("/usr/lib/jvm"), Path.of("/usr/local/lib/jvm"),
            Path.of("/opt/java"));
    private static final Pattern RELEASE_VERSION = Pattern.compile("(?m)^JAVA_VERSION=\"?(\\d+)");

    private final int port;
    private final Process process;

    private ConductorProcess(int port, Process process) {
        this.port = port;
        this.process = process;
    }

    /** Starts Conductor against {@code jdbcUrl} (a server that trusts loopback) and waits until it is up. */
    static ConductorProcess start(String jdbcUrl) {
        if (!Files.exists(JAR)) {
            throw new IllegalStateException(JAR + " is missing: it is copied by `mvnw verify -Pbench`");
        }
        int port = Processes.freePort();
        List<String> command = new ArrayList<>(List.of(java(), "-jar", JAR.toString(),
                "--server.port=" + port, "--server.address=127.0.0.1",
                // Store, queues and index in PostgreSQL (docs/documentation/advanced/postgresql.md of Conductor);
                // the jar's own defaults are an in-memory store and Redis queues.
                "--conductor.db.type=postgres", "--conductor.queue.type=postgres",
                "--conductor.indexing.enabled=true", "--conductor.indexing.type=postgres",
                // 0 matches no Elasticsearch module, so none is configured.
                "--conductor.elasticsearch.version=0",
                "--spring.datasource.url=" + jdbcUrl, "--spring.datasource.username=" + PostgresTestDatabase.USER,
                "--spring.datasource.password=",
                // Spring Boot's Elasticsearch client is on the class path anyway: its health check would call a
                // server that is not there and report the whole service DOWN.
                "--management.health.elasticsearch.enabled=false",
                // The jar's default starts demo workflows (kitchensink) that would run beside the benchmark's.
                "--loadSample=false",
                // As quiet as the Saga Warden node beside it (quarkus.log.level=WARN).
                "--logging.level.root=WARN"));
        // Everything else as shipped, the JVM's ergonomics included. HTTP tasks are asynchronous system tasks: a
        // worker pool of two threads per core polls their queue every 50 ms (conductor.app.systemTaskWorker*),
        // each call with a 150 ms read timeout (conductor.tasks.http.readTimeout).
        try {
            Path log = Files.createDirectories(Path.of("target", "it-logs")).resolve("conductor-" + port + ".log");
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                    .start();
            ConductorProcess conductor = new ConductorProcess(port, process);
            try {
                // Conductor's own /health answers "healthy" unconditionally; the actuator's includes the database.
                Processes.awaitReady(process, "conductor", URI.create(conductor.baseUrl() + "/actuator/health"),
                        Duration.ofMinutes(3), log);
            } catch (RuntimeException e) {
                conductor.close();
                throw e;
            }
            return conductor;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start Conductor", e);
        }
    }

    long pid() {
        return process.pid();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    @Override
    public void close() {
        Processes.stop(process, Duration.ofSeconds(30));
    }

    /** The java that runs Conductor: its jar is built for Java 17. */
    private static String java() {
        String configured = System.getProperty("bench.conductor.java");
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        return JVM_DIRS.stream().filter(Files::isDirectory).flatMap(ConductorProcess::list)
                .filter(home -> Files.isExecutable(home.resolve("bin").resolve("java")))
                .filter(home -> feature(home) >= 17 && feature(home) <= 21)
                .max(Comparator.comparingInt(ConductorProcess::feature))
                .map(home -> home.resolve("bin").resolve("java").toString())
                .orElseThrow(() -> new IllegalStateException("Conductor needs a Java 17 to 21 and none was found under "
                        + JVM_DIRS + ": install one (e.g. openjdk-17-jre-headless) or name its java with "
                        + "-Dbench.conductor.java=/path/to/bin/java"));
    }

    private static Stream<Path> list(Path dir) {
        try (Stream<Path> homes = Files.list(dir)) {
            return homes.toList().stream();
        } catch (IOException e) {
            return Stream.empty();
        }
    }

    /** The feature version a JDK's {@code release} file names (17 for "17.0.15"), 0 when it names none. */
    private static int feature(Path home) {
        try {
            Matcher m = RELEASE_VERSION.matcher(Files.readString(home.resolve("release")));
            return m.find() ? Integer.parseInt(m.group(1)) : 0;
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }
}
