package io.sagawarden.bench;

import static io.sagawarden.testing.SagaBuilder.aSaga;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sagawarden.testing.AppProcess;
import io.sagawarden.testing.PostgresServer;
import io.sagawarden.testing.PostgresTestDatabase;
import io.sagawarden.testing.SagaBuilder;
import io.sagawarden.testing.TestParticipant;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Conductor side by side (run on purpose: {@code ./mvnw verify -Pbench -Dbench=ConductorBenchmark
 * [-Dbench.sagas=300]}): Saga Warden and Conductor OSS doing the same work for the same client, one after the
 * other, each against a database of its own on one PostgreSQL server of the benchmark's own. The work is a 3-step
 * saga (Conductor: a workflow of three HTTP system tasks) whose steps POST to a participant in this JVM that
 * answers at once; the client is 8 threads submitting {@code bench.sagas} of them over HTTP as fast as each system
 * accepts them. Printed for each, from its own server-side timestamps (Saga Warden's {@code sagas} rows,
 * Conductor's workflow records): completed sagas per second from the first submission to the last end, p50 and
 * p99 of each saga's submission-to-end time, sagas not ended after 5 minutes, and CPU time per saga of the server
 * process and of PostgreSQL over the run; then Saga Warden's completed/s divided by Conductor's. Each system first
 * runs the same work for {@code bench.warmUpSeconds} (120), which is not counted.
 */
class ConductorBenchmark {

    static final int SAGAS = Integer.getInteger("bench.sagas", 300);
    /**
     * How long each system runs the work first, in batches of {@link #WARM_UP_BATCH}, not counted: a server measured
     * from its first request measures its start-up (class loading, the JIT) as much as its work. The same time for
     * both, so each warms up as far as its own pace takes it (Saga Warden's JIT needs some 10,000 sagas to settle,
     * see DrainBenchmark, and reaches about 7,000 in 120 s; Conductor about 600).
     */
    static final Duration WARM_UP = Duration.ofSeconds(Integer.getInteger("bench.warmUpSeconds", 120));
    static final int WARM_UP_BATCH = 100;
    static final int CLIENTS = 8;
    static final Duration PATIENCE = Duration.ofMinutes(5);
    static final String WORKFLOW = "bench_saga";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** One client for both systems: HTTP/1.1 and a deadline per request, as AppProcess's. */
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void sideBySide() throws Exception {
        try (PostgresServer server = PostgresServer.start(Map.of("shared_buffers", "256MB"));
             TestParticipant participant = TestParticipant.start()) {
            server.createDatabase("warden");
            server.createDatabase("conductor");
            Result warden = sagaWarden(server, participant);
            Result conductor = conductor(server, participant);

            System.out.printf("%n=== Saga Warden and Conductor OSS side by side: %d 3-step sagas (after %d s of the same, "
                    + "not counted), %d client threads, participant answers at once ===%n", SAGAS, WARM_UP.toSeconds(), CLIENTS);
            System.out.printf("%-14s %10s %9s %9s %10s %8s %10s %11s %11s %11s%n", "", "completed", "per s", "p50 ms",
                    "p99 ms", "unended", "submit s", "calls/saga", "server CPU", "PG CPU");
            warden.print();
            conductor.print();
            System.out.printf("Saga Warden / Conductor, completed per second: %.2f%n",
                    warden.perSecond() / conductor.perSecond());
            System.out.println("(latency from the server's own submission time to its end; calls the participant "
                    + "answered and CPU time, of the server process and of PostgreSQL, per submitted saga)");
        }
    }

    private static Result sagaWarden(PostgresServer server, TestParticipant participant) throws Exception {
        String url = server.jdbcUrl("warden");
        String saga = aSaga().type("ConductorSideBySide")
                .step("reserve", participant.url("/reserve")).withCompensation(participant.url("/release"))
                .step("charge", participant.url("/charge")).withCompensation(participant.url("/refund"))
                .step("ship", participant.url("/ship")).json();
        // The node as DrainBenchmark runs it: the integration tests' settings, quiet logs.
        try (AppProcess node = AppProcess.start("bench-side-by-side", "unused", Map.of("quarkus.datasource.jdbc.url",
                     url, "quarkus.datasource.password", "", "quarkus.log.level", "WARN"));
             Connection db = DriverManager.getConnection(url, PostgresTestDatabase.USER, "")) {
            String sql = """
                    SELECT status, extract(epoch FROM created_at) * 1000, extract(epoch FROM ended_at) * 1000, reason
                    FROM sagas""";
            URI submit = URI.create(node.baseUrl() + "/api/v1/sagas");
            Function<String, String> id = body -> SagaBuilder.parse(body).get("id").asText();
            warmUp(() -> run("Saga Warden", server, participant, node.pid(), db, sql, submit, saga, id, WARM_UP_BATCH));
            return run("Saga Warden", server, participant, node.pid(), db, sql, submit, saga, id, SAGAS);
        }
    }

    private static Result conductor(PostgresServer server, TestParticipant participant) throws Exception {
        String url = server.jdbcUrl("conductor");
        try (ConductorProcess conductor = ConductorProcess.start(url);
             Connection db = DriverManager.getConnection(url, PostgresTestDatabase.USER, "")) {
            HttpResponse<String> registered = send(URI.create(conductor.baseUrl() + "/api/metadata/workflow"),
                    workflowDefinition(participant));
            if (registered.statusCode() / 100 != 2) {
                throw new IllegalStateException("Conductor refused the workflow definition: " + registered.body());
            }
            // Conductor keeps each workflow as JSON (its tasks apart): createTime is when it was started, endTime
            // when it ended (0 until then), both epoch milliseconds of the server's clock.
            String sql = """
                    SELECT w ->> 'status', (w ->> 'createTime')::bigint, nullif((w ->> 'endTime')::bigint, 0),
                           w ->> 'reasonForIncompletion'
                    FROM (SELECT json_data::jsonb AS w FROM workflow) AS workflows
                    WHERE w ->> 'workflowName' = '%s'""".formatted(WORKFLOW);
            URI submit = URI.create(conductor.baseUrl() + "/api/workflow/" + WORKFLOW);
            warmUp(() -> run("Conductor OSS", server, participant, conductor.pid(), db, sql, submit, "{}", String::strip,
                    WARM_UP_BATCH));
            return run("Conductor OSS", server, participant, conductor.pid(), db, sql, submit, "{}", String::strip, SAGAS);
        }
    }

    private interface Batch {
        Result run() throws Exception;
    }

    /** Runs batches until {@link #WARM_UP} has passed; prints how many sagas that came to. */
    private static void warmUp(Batch batch) throws Exception {
        long deadline = System.nanoTime() + WARM_UP.toNanos();
        int sagas = 0;
        String name = "";
        while (System.nanoTime() < deadline) {
            Result result = batch.run();
            sagas += result.sagas();
            name = result.name();
        }
        System.out.printf("%s warmed up with %d sagas in %d s%n", name, sagas, WARM_UP.toSeconds());
    }

    /** Three HTTP system tasks, each a POST to the participant, as the saga's three steps. */
    private static String workflowDefinition(TestParticipant participant) {
        ObjectNode definition = JSON.createObjectNode().put("name", WORKFLOW).put("version", 1).put("schemaVersion", 2)
                .put("ownerEmail", "bench@example.com").put("timeoutSeconds", 0);
        ArrayNode tasks = definition.putArray("tasks");
        for (String step : List.of("reserve", "charge", "ship")) {
            ObjectNode request = tasks.addObject().put("name", step).put("taskReferenceName", step).put("type", "HTTP")
                    .putObject("inputParameters").putObject("http_request");
            request.put("uri", participant.url("/" + step)).put("method", "POST")
                    .put("contentType", "application/json");
            request.putObject("body").put("workflowId", "${workflow.workflowId}");
        }
        return definition.toString();
    }

    /**
     * Submits {@code count} sagas with {@link #CLIENTS} threads, waits (at most {@link #PATIENCE}) until all have ended,
     * and reads their times: {@code sql} answers one row per saga, its status, start and end (null while running) in
     * epoch milliseconds and why it did not complete; only those started since this run began are counted (the
     * servers and this JVM share the machine's clock).
     */
    private static Result run(String name, PostgresServer server, TestParticipant participant, long pid, Connection db,
                              String sql, URI submit, String body, Function<String, String> id, int count) throws Exception {
        long since = System.currentTimeMillis();
        int calls = participant.calls().size();
        double serverCpu = ProcessCpu.seconds(pid);
        double postgresCpu = ProcessCpu.treeSeconds(server.postmasterPid());
        long start = System.nanoTime();
        // One deadline for the whole run, submissions included.
        long deadline = start + PATIENCE.toNanos();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        AtomicInteger refused = new AtomicInteger();
        List<Future<?>> sent = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                sent.add(clients.submit(() -> {
                    try {
                        HttpResponse<String> response = send(submit, body);
                        if (response.statusCode() / 100 != 2 || id.apply(response.body()).isEmpty()) {
                            refused.incrementAndGet();
                        }
                    } catch (RuntimeException e) {
                        refused.incrementAndGet();
                    }
                }));
            }
            for (Future<?> f : sent) {
                f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } finally {
            clients.shutdownNow();
        }
        double submitSeconds = (System.nanoTime() - start) / 1e9;
        int accepted = count - refused.get();
        List<Saga> sagas = Saga.read(db, sql, since);
        // Asked once a second: asking costs the figures nothing.
        while (ended(sagas) < accepted && System.nanoTime() < deadline) {
            Thread.sleep(1000);
            sagas = Saga.read(db, sql, since);
        }
        serverCpu = ProcessCpu.seconds(pid) - serverCpu;
        postgresCpu = ProcessCpu.treeSeconds(server.postmasterPid()) - postgresCpu;

        List<Saga> completed = sagas.stream().filter(s -> s.status().equals("COMPLETED")).toList();
        double first = sagas.stream().mapToDouble(Saga::start).min().orElse(Double.NaN);
        double last = completed.stream().mapToDouble(Saga::end).max().orElse(Double.NaN);
        List<Double> latencies = completed.stream().map(s -> s.end() - s.start()).toList();
        // Sagas that ended otherwise (failed, compensated), by status with one reason for each: a comparison only of
        // those that completed would flatter a system that gives up.
        Map<String, List<Saga>> otherwise = sagas.stream()
                .filter(s -> !s.status().equals("COMPLETED") && !Double.isNaN(s.end()))
                .collect(Collectors.groupingBy(Saga::status, TreeMap::new, Collectors.toList()));
        return new Result(name, completed.size(), completed.size() / ((last - first) / 1000), Stats.median(latencies),
                Stats.percentile(latencies, 99), accepted - ended(sagas), refused.get(), otherwise, submitSeconds,
                (participant.calls().size() - calls) / (double) count, count, serverCpu, postgresCpu);
    }

    private static long ended(List<Saga> sagas) {
        return sagas.stream().filter(s -> !Double.isNaN(s.end())).count();
    }

    /** One saga as its server stored it: start and end in epoch milliseconds, end NaN while it runs. */
    private record Saga(String status, double start, double end, String reason) {
        static List<Saga> read(Connection db, String sql, long since) throws SQLException {
            List<Saga> sagas = new ArrayList<>();
            try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery(sql)) {
                while (rs.next()) {
                    double end = rs.getDouble(3);
                    boolean running = rs.wasNull();
                    if (rs.getDouble(2) >= since) {
                        sagas.add(new Saga(rs.getString(1), rs.getDouble(2), running ? Double.NaN : end,
                                Objects.toString(rs.getString(4), "")));
                    }
                }
            }
            return sagas;
        }
    }

    private static HttpResponse<String> send(URI uri, String json) {
        HttpRequest request = HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).timeout(Duration.ofSeconds(30)).build();
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** One system's figures; CPU in seconds over its run, from the first submission until all had ended. */
    private record Result(String name, long completed, double perSecond, double p50, double p99, long unended,
                          int refused, Map<String, List<Saga>> otherwise, double submitSeconds, double callsPerSaga,
                          int sagas, double serverCpu, double postgresCpu) {
        void print() {
            System.out.printf("%-14s %10d %9.1f %9.0f %10.0f %8d %10.1f %11.2f %8.2f ms %8.2f ms%s%n", name, completed,
                    perSecond, p50, p99, unended, submitSeconds, callsPerSaga, serverCpu * 1000 / sagas,
                    postgresCpu * 1000 / sagas, refused == 0 ? "" : "   (" + refused + " submissions refused)");
            otherwise.forEach((status, sagas) -> System.out.printf("%14s %10d ended %s, e.g.: %.160s%n", "",
                    sagas.size(), status, sagas.getFirst().reason()));
        }
    }
}
