package io.sagawarden.metrics;

import io.sagawarden.testing.Processes;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A real Prometheus (the Debian package's binary) on loopback, with its TSDB and configuration in a temporary
 * directory: it scrapes one target every second and loads the project's rule file.
 */
final class PrometheusServer implements AutoCloseable {

    static final String JOB = "saga-warden";
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Process process;
    private final Path home;
    private final Path log;
    private final String baseUrl;

    private PrometheusServer(Process process, Path home, Path log, String baseUrl) {
        this.process = process;
        this.home = home;
        this.log = log;
        this.baseUrl = baseUrl;
    }

    /** The prometheus binary: $PROMETHEUS_BIN, else the first on PATH. */
    static Optional<Path> binary() {
        String explicit = System.getenv("PROMETHEUS_BIN");
        if (explicit != null && !explicit.isBlank()) {
            return Optional.of(Path.of(explicit)).filter(Files::isExecutable);
        }
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .filter(dir -> !dir.isBlank())
                .map(dir -> Path.of(dir, "prometheus"))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /** Starts Prometheus scraping {@code target} (host:port) at /q/metrics and waits until it is ready. */
    static PrometheusServer start(Path binary, String target, Path rules) {
        try {
            Path home = Files.createTempDirectory("saga-warden-prometheus-");
            Path config = home.resolve("prometheus.yml");
            Files.writeString(config, """
                    global:
                      scrape_interval: 1s
                      scrape_timeout: 1s
                      evaluation_interval: 1s
                    rule_files:
                      - "%s"
                    scrape_configs:
                      - job_name: %s
                        metrics_path: /q/metrics
                        static_configs:
                          - targets: ["%s"]
                    """.formatted(rules.toAbsolutePath(), JOB, target));
            int port = Processes.freePort();
            Path log = Files.createDirectories(Path.of("target", "it-logs")).resolve("prometheus-" + port + ".log");
            Process process = new ProcessBuilder(binary.toString(),
                    "--config.file=" + config,
                    "--storage.tsdb.path=" + home.resolve("data"),
                    "--storage.tsdb.retention.time=1h",
                    "--web.listen-address=127.0.0.1:" + port,
                    "--log.level=warn")
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            PrometheusServer server = new PrometheusServer(process, home, log, "http://127.0.0.1:" + port);
            try {
                Processes.awaitReady(process, "Prometheus", URI.create(server.baseUrl + "/-/ready"),
                        Duration.ofSeconds(30), log);
            } catch (IllegalStateException e) {
                server.close();
                throw e;
            }
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start Prometheus", e);
        }
    }

    Path log() {
        return log;
    }

    /** An instant query through /api/v1/query: the whole JSON answer, errors included (never thrown). */
    JsonNode query(String promQl) {
        return post("/api/v1/query", "query=" + URLEncoder.encode(promQl, StandardCharsets.UTF_8));
    }

    /** The samples of an instant query that succeeded, else an empty list. */
    List<JsonNode> samples(String promQl) {
        JsonNode answer = query(promQl);
        if (!"success".equals(answer.path("status").asText())) {
            return List.of();
        }
        JsonNode data = answer.path("data");
        if ("scalar".equals(data.path("resultType").asText())) {
            return List.of(data);
        }
        return Stream.of(data.path("result")).flatMap(r -> r.isArray() ? stream(r) : Stream.empty()).toList();
    }

    /** The first sample's value of an instant query, or NaN when it has none. */
    double value(String promQl) {
        return samples(promQl).stream().findFirst()
                .map(s -> Double.parseDouble(s.path("value").path(1).asText("NaN"))).orElse(Double.NaN);
    }

    /** The rule groups as /api/v1/rules reports them. */
    JsonNode ruleGroups() {
        return get("/api/v1/rules").path("data").path("groups");
    }

    /** The values of a label among the series of a selector, through /api/v1/label/{name}/values. */
    JsonNode labelValues(String label, String selector) {
        return get("/api/v1/label/" + URLEncoder.encode(label, StandardCharsets.UTF_8) + "/values?match[]="
                + URLEncoder.encode(selector, StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        Processes.stop(process, Duration.ofSeconds(10));
        try (Stream<Path> files = Files.walk(home)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary directory left behind is harmless
        }
    }

    private JsonNode get(String path) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).GET());
    }

    private JsonNode post(String path, String form) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)));
    }

    private static JsonNode send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> response = HTTP.send(request.timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return MAPPER.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Stream<JsonNode> stream(JsonNode array) {
        return java.util.stream.StreamSupport.stream(array.spliterator(), false);
    }
}
