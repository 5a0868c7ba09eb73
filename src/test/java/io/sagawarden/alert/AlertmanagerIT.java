package io.sagawarden.alert;

import static io.sagawarden.testing.SagaBuilder.aSaga;
import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.path.json.JsonPath;
import io.sagawarden.testing.AppProcess;
import io.sagawarden.testing.Db;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.PostgresTestDatabase;
import io.sagawarden.testing.Processes;
import io.sagawarden.testing.StuckSagas;
import io.sagawarden.testing.TestParticipant;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A stuck saga's alert reaches a real Prometheus Alertmanager (the Debian package, on loopback, in a temporary
 * directory) through its v2 API, and so does the alert's resolution once the saga moves again. Alertmanager
 * routes to a webhook here, so the test also sees that Alertmanager itself took the alert for resolved.
 */
class AlertmanagerIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void a_stuck_saga_fires_SagaStuck_at_alertmanager_and_resolves_it_when_the_saga_moves_again() throws Exception {
        Path binary = alertmanagerBinary();
        String database = PostgresTestDatabase.create();
        Path home = Files.createTempDirectory("alertmanager-it-");
        try (TestParticipant participant = TestParticipant.start();
             TestParticipant receiver = TestParticipant.start();
             Alertmanager alertmanager = Alertmanager.start(binary, home, receiver.url("/notify"))) {
            AppProcess app = AppProcess.start("alerting-node", database, Map.of(
                    "saga.alerts.alertmanager-urls", alertmanager.url(),
                    "saga.recovery.stuck-after", "PT2S",
                    "saga.recovery.interval", "PT1S",
                    "saga.alerts.delivery-interval", "PT0.5S",
                    // Each round retries the saga; after the default 3 retries the monitor would compensate
                    // the saga on its own within seconds. Here the saga stays stuck until the test lets it move.
                    "saga.recovery.max-recoveries", "100"));
            try {
                // No node can move the saga until the test lets it.
                StuckSagas stuck = StuckSagas.ofType(new Db(database), "AccountActivationSaga");
                HttpResponse<String> submitted = app.post("/api/v1/sagas", aSaga().type("AccountActivationSaga")
                        .step("create-account", participant.url("/accounts"))
                        .step("activate", participant.url("/activate")).json());
                assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(201);
                String saga = new JsonPath(submitted.body()).getString("id");

                // Stuck: Alertmanager holds an active SagaStuck alert for this saga, and has notified its receiver.
                Map<String, Object> firing = Eventually.await("an active SagaStuck alert at Alertmanager", WAIT,
                        () -> alertmanager.alertsFor(saga), alerts -> alerts.size() == 1).getFirst();
                JsonPath alert = new JsonPath(toJson(firing));
                assertThat(alert.getString("labels.alertname")).isEqualTo("SagaStuck");
                assertThat(alert.getString("labels.severity")).isEqualTo("critical");
                assertThat(alert.getString("labels.saga_id")).isEqualTo(saga);
                assertThat(alert.getString("labels.saga_type")).isEqualTo("AccountActivationSaga");
                assertThat(alert.getString("labels.kind")).isEqualTo("STUCK");
                assertThat(alert.getString("annotations.summary")).contains(saga).contains("MOVE_FAILING");
                assertThat(alert.getString("annotations.description")).contains("create-account");
                assertThat(alert.getString("status.state")).isEqualTo("active");
                assertThat(Instant.parse(alert.getString("endsAt"))).as("open: no end time of ours, only Alertmanager's timeout")
                        .isAfter(Instant.now().plusSeconds(60));
                Eventually.await("the firing notification", WAIT, () -> notifications(receiver, saga, "firing"), n -> n >= 1);

                // The saga moves: it completes, and the alert resolves everywhere.
                stuck.letMove();
                Eventually.await("the saga to complete", WAIT, () -> new JsonPath(get(app, "/api/v1/sagas/" + saga))
                        .getString("status"), "COMPLETED"::equals);
                Eventually.await("the STUCK alert resolved in Saga Warden", WAIT, () -> new JsonPath(get(app,
                        "/api/v1/alerts?state=RESOLVED&limit=500")).<Map<String, Object>>getList("items").stream()
                        .anyMatch(a -> saga.equals(a.get("sagaId")) && "STUCK".equals(a.get("kind"))), resolved -> resolved);
                Eventually.await("the alert to leave Alertmanager's active alerts", WAIT, () -> alertmanager.alertsFor(saga),
                        List::isEmpty);
                Eventually.await("Alertmanager's resolved notification", WAIT, () -> notifications(receiver, saga, "resolved"),
                        n -> n >= 1);
                assertThat(alertmanager.metric("alertmanager_alerts_received_total{status=\"resolved\",version=\"v2\"}"))
                        .isGreaterThanOrEqualTo(1);
            } finally {
                app.close();
            }
        } finally {
            PostgresTestDatabase.drop(database);
            deleteTree(home);
        }
    }

    private static String get(AppProcess app, String path) {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(app.baseUrl() + path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
            return response.body();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** How many of the receiver's notifications had this status and carried the saga's alert with that status. */
    private static long notifications(TestParticipant receiver, String saga, String status) {
        return receiver.calls("/notify").stream().map(c -> new JsonPath(c.body()))
                .filter(n -> status.equals(n.getString("status")))
                .filter(n -> n.<Map<String, Object>>getList("alerts").stream().anyMatch(a -> status.equals(a.get("status"))
                        && saga.equals(((Map<?, ?>) a.get("labels")).get("saga_id"))))
                .count();
    }

    private static String toJson(Object value) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The Debian package's binary (or an upstream build on the PATH); a loud skip without it, a failure on CI. */
    private static Path alertmanagerBinary() {
        List<Path> candidates = new ArrayList<>(List.of(Path.of("/usr/bin/prometheus-alertmanager")));
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                candidates.add(Path.of(dir, "prometheus-alertmanager"));
                candidates.add(Path.of(dir, "alertmanager"));
            }
        }
        Optional<Path> found = candidates.stream().filter(Files::isExecutable).findFirst();
        if (found.isPresent()) {
            return found.get();
        }
        String message = "AlertmanagerIT needs Prometheus Alertmanager (apt-get install -y prometheus-alertmanager)";
        if ("true".equals(System.getenv("CI"))) {
            Assertions.fail(message + "; CI=true, so a missing Alertmanager is a failure, not a skip");
        }
        System.err.println("\n*** SKIPPED: " + message + " ***\n");
        Assumptions.abort("SKIPPED: " + message);
        throw new IllegalStateException("unreachable");
    }

    private static void deleteTree(Path root) throws IOException {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** Alertmanager as an OS process on a free loopback port, clustering off, its state in {@code home}. */
    private static final class Alertmanager implements AutoCloseable {

        private final Process process;
        private final int port;

        private Alertmanager(Process process, int port) {
            this.process = process;
            this.port = port;
        }

        static Alertmanager start(Path binary, Path home, String webhook) throws IOException {
            int port = Processes.freePort();
            Path config = home.resolve("alertmanager.yml");
            // Short group timings so that notifications (firing, then resolved) come within a second or two.
            Files.writeString(config, """
                    global:
                      resolve_timeout: 5m
                    route:
                      receiver: test-webhook
                      group_by: ['alertname', 'saga_id']
                      group_wait: 1s
                      group_interval: 1s
                      repeat_interval: 1h
                    receivers:
                      - name: test-webhook
                        webhook_configs:
                          - url: '%s'
                            send_resolved: true
                    """.formatted(webhook));
            Path log = Files.createDirectories(Path.of("target", "it-logs")).resolve("alertmanager-" + port + ".log");
            Process process = new ProcessBuilder(binary.toString(),
                    "--config.file=" + config,
                    "--storage.path=" + Files.createDirectories(home.resolve("data")),
                    "--web.listen-address=127.0.0.1:" + port,
                    "--cluster.listen-address=",
                    "--log.level=info")
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            Alertmanager alertmanager = new Alertmanager(process, port);
            try {
                Eventually.await("Alertmanager to be ready (log: " + log + ")", WAIT, () -> {
                    if (!process.isAlive()) {
                        throw new AssertionError("Alertmanager exited at start-up; see " + log);
                    }
                    return alertmanager.status("/-/ready");
                }, status -> status == 200);
            } catch (RuntimeException | AssertionError e) {
                alertmanager.close();
                throw e;
            }
            return alertmanager;
        }

        String url() {
            return "http://127.0.0.1:" + port;
        }

        /** The alerts Alertmanager lists for the saga: it leaves out resolved ones (an end time in the past). */
        List<Map<String, Object>> alertsFor(String sagaId) {
            String filter = URLEncoder.encode("saga_id=\"" + sagaId + "\"", StandardCharsets.UTF_8);
            return new JsonPath(get("/api/v2/alerts?filter=" + filter).body()).getList("$");
        }

        double metric(String series) {
            return get("/metrics").body().lines().filter(l -> l.startsWith(series + " ")).findFirst()
                    .map(l -> Double.parseDouble(l.substring(series.length()).trim())).orElse(0.0);
        }

        private int status(String path) {
            try {
                return HTTP.send(request(path), HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (IOException e) {
                return -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        private HttpResponse<String> get(String path) {
            try {
                HttpResponse<String> response = HTTP.send(request(path), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() != 200) {
                    throw new AssertionError("Alertmanager answered " + response.statusCode() + " to " + path + ": " + response.body());
                }
                return response;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        private HttpRequest request(String path) {
            return HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(5)).build();
        }

        @Override
        public void close() {
            Processes.stop(process, Duration.ofSeconds(10));
        }
    }
}
