package io.sagawarden.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The packaged application ({@code target/quarkus-app}) running as a separate OS process, as in production:
 * so that a test can kill it with SIGKILL mid-flight and watch the others recover its work.
 */
public final class AppProcess implements AutoCloseable {

    private static final Path JAR = Path.of("target", "quarkus-app", "quarkus-run.jar");
    /** HTTP/1.1 and a deadline per request: a test waits on an answer, never forever on a stuck exchange. */
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final String name;
    private final int port;
    private final int managementPort;
    private final Process process;
    private final Path log;

    private AppProcess(String name, int port, int managementPort, Process process, Path log) {
        this.name = name;
        this.port = port;
        this.managementPort = managementPort;
        this.process = process;
        this.log = log;
    }

    /** Starts a node on a free port against {@code database} and waits until it is ready. */
    public static AppProcess start(String name, String database, Map<String, String> settings) {
        return start(name, database, settings, List.of());
    }

    /** As {@link #start(String, String, Map)}, with JVM options that override the defaults (a 384 MB heap). */
    public static AppProcess start(String name, String database, Map<String, String> settings, List<String> jvmOptions) {
        if (!Files.exists(JAR)) {
            throw new IllegalStateException(JAR + " is missing: integration tests run after `mvnw package`");
        }
        int port = Processes.freePort();
        int managementPort = Processes.freePort();
        List<String> command = new ArrayList<>(List.of(javaBinary(), "-Xmx384m", "-XX:+UseSerialGC",
                "-Dquarkus.http.port=" + port, "-Dquarkus.management.port=" + managementPort,
                "-Dquarkus.datasource.jdbc.url=" + PostgresTestDatabase.url(database),
                "-Dquarkus.datasource.username=" + PostgresTestDatabase.USER,
                "-Dquarkus.datasource.password=" + PostgresTestDatabase.PASSWORD,
                "-Dsaga.participants.allowed-urls=http://127.0.0.1:*",
                // The nodes of these tests run open; the security tests run against a real Keycloak.
                "-Dsaga.security.enabled=false",
                "-Dsaga.cluster.node-id=" + name));
        command.addAll(jvmOptions);
        // Several nodes share one PostgreSQL (100 connections by default): keep each pool modest unless told.
        if (!settings.containsKey("quarkus.datasource.jdbc.max-size")) {
            command.add("-Dquarkus.datasource.jdbc.max-size=16");
        }
        settings.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.addAll(List.of("-jar", JAR.toString()));
        try {
            Path log = Files.createDirectories(Path.of("target", "it-logs")).resolve(name + "-" + port + ".log");
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            AppProcess app = new AppProcess(name, port, managementPort, process, log);
            Processes.awaitReady(process, name, URI.create(app.managementUrl() + "/q/health/ready"), Duration.ofSeconds(60), log);
            return app;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + name, e);
        }
    }

    public String name() {
        return name;
    }

    /** The operating system's id of the node's process. */
    public long pid() {
        return process.pid();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** Health and metrics, apart from the API. */
    public String managementUrl() {
        return "http://127.0.0.1:" + managementPort;
    }

    /** The node's Prometheus metrics as a scrape sees them. */
    public String metrics() {
        return send(HttpRequest.newBuilder(URI.create(managementUrl() + "/q/metrics")).GET()).body();
    }

    /** SIGKILL: no shutdown hook runs, leases stay behind as after a machine failure. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        Processes.stop(process, Duration.ofSeconds(20));
    }

    public HttpResponse<String> post(String path, String json) {
        return post(path, json, Map.of());
    }

    public HttpResponse<String> post(String path, String json, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
        headers.forEach(request::header);
        return send(request);
    }

    public HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl() + path)).GET());
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.timeout(REQUEST_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String javaBinary() {
        return ProcessHandle.current().info().command().orElse("java");
    }
}
