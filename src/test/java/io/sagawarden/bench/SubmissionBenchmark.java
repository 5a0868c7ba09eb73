package io.sagawarden.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.sagawarden.testing.AppProcess;
import io.sagawarden.testing.Db;
import io.sagawarden.testing.PostgresTestDatabase;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Submission benchmark (run on purpose: {@code ./mvnw verify -Pbench -Dbench=SubmissionBenchmark}): how fast the
 * packaged application accepts and stores sagas, with execution switched off so that only {@code POST
 * /api/v1/sagas} is measured. 8 clients in a closed loop submit a realistic 3-step saga (payload, labels, locks,
 * templates, compensations, retry policy); half of the requests carry a unique Idempotency-Key. Prints throughput,
 * latency, database commits per submission and, as the yardstick, pgbench -N TPS measured in the same run.
 */
class SubmissionBenchmark {

    static final int SUBMISSIONS = Integer.getInteger("bench.submissions", 5000);
    static final int WARM_UP = 1000;
    static final int CLIENTS = 8;
    /** PostgreSQL 15+ flushes a backend's statistics when it goes idle, at the latest 10 s later. */
    static final Duration STATS_SETTLE = Duration.ofSeconds(11);

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** The status codes answered, over warm-up and measurement. */
    private final Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();

    @Test
    void submission() throws Exception {
        double pgbenchTps = PgBench.simpleUpdateTps(8, 15);
        String database = PostgresTestDatabase.create();
        Db db = new Db(database);
        try (AppProcess app = AppProcess.start("bench-submit", database,
                Map.of("saga.execution.enabled", "false", "quarkus.log.level", "WARN", "quarkus.datasource.jdbc.max-size", "32"))) {
            String runId = UUID.randomUUID().toString().substring(0, 8);

            run(app, "warm-" + runId, WARM_UP);

            Thread.sleep(STATS_SETTLE.toMillis());
            long commitsBefore = commits(db, database);
            long start = System.nanoTime();
            List<Double> latencies = run(app, "bench-" + runId, SUBMISSIONS);
            double seconds = (System.nanoTime() - start) / 1e9;
            Thread.sleep(STATS_SETTLE.toMillis());
            long commits = commits(db, database) - commitsBefore;

            long created = statuses.getOrDefault(201, new AtomicInteger()).get();
            long stored = db.count("SELECT count(*) FROM sagas");
            long storedSteps = db.count("SELECT count(*) FROM saga_steps");
            double perSecond = SUBMISSIONS / seconds;

            System.out.printf("%n=== Submission benchmark (3-step sagas with payload and labels, execution off, "
                    + "%d clients, closed loop) ===%n", CLIENTS);
            System.out.printf("pgbench -N, 8 clients, 15 s:        %8.0f TPS (yardstick)%n", pgbenchTps);
            System.out.printf("submissions:                        %8d (half with a unique Idempotency-Key), in %.1f s%n",
                    SUBMISSIONS, seconds);
            System.out.printf("throughput:                         %8.1f submissions/s%n", perSecond);
            System.out.printf("submit latency:                     p50 %6.2f ms   p99 %6.2f ms%n",
                    Stats.median(latencies), Stats.percentile(latencies, 99));
            System.out.printf("submissions/s / pgbench TPS:        %8.3f%n", perSecond / pgbenchTps);
            System.out.printf("database commits per submission:    %8.2f  (xact_commit delta %d, includes background "
                    + "jobs and this benchmark's two stats reads)%n", commits / (double) SUBMISSIONS, commits);
            System.out.printf("answers: %s; stored sagas %d (steps %d) for %d answers 201%n",
                    statuses, stored, storedSteps, created);

            assertThat(statuses.keySet()).as("every submission answered 201").containsOnly(201);
            assertThat(created).isEqualTo(WARM_UP + SUBMISSIONS);
            assertThat(stored).as("stored sagas = 201 answers").isEqualTo(created);
            assertThat(storedSteps).isEqualTo(3 * created);
        } finally {
            PostgresTestDatabase.drop(database);
        }
    }

    /** {@code count} submissions by {@link #CLIENTS} threads in a closed loop; returns each one's latency in ms. */
    private List<Double> run(AppProcess app, String prefix, int count) throws Exception {
        AtomicInteger next = new AtomicInteger();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        try {
            List<Future<List<Double>>> workers = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                workers.add(clients.submit(() -> {
                    List<Double> mine = new ArrayList<>(count / CLIENTS + 1);
                    for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(app.baseUrl() + "/api/v1/sagas"))
                                .timeout(Duration.ofSeconds(30))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(saga(prefix, i)));
                        if (i % 2 == 0) {
                            request.header("Idempotency-Key", prefix + "-" + i);
                        }
                        long t0 = System.nanoTime();
                        HttpResponse<String> response = send(request.build());
                        mine.add((System.nanoTime() - t0) / 1e6);
                        statuses.computeIfAbsent(response.statusCode(), s -> new AtomicInteger()).incrementAndGet();
                        if (response.statusCode() != 201 && statuses.get(response.statusCode()).get() <= 3) {
                            System.out.printf("submission %s-%d answered %d: %s%n", prefix, i, response.statusCode(),
                                    response.body());
                        }
                    }
                    return mine;
                }));
            }
            List<Double> all = new ArrayList<>(count);
            for (Future<List<Double>> worker : workers) {
                all.addAll(worker.get());
            }
            return all;
        } finally {
            clients.shutdownNow();
        }
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A realistic order saga: reserve stock, charge, ship; each submission its own order. */
    static String saga(String prefix, int i) {
        String order = prefix + "-o-" + i;
        int sku = i % 500;
        int account = i % 200;
        return """
                {"type": "CreateOrderSaga", "priority": %d, "timeout": "PT5M",
                 "labels": {"tenant": "tenant-%d", "channel": "web", "region": "eu-west"},
                 "payload": {"orderId": "%s", "customerId": "c-%d", "accountId": "acc-%d",
                             "lines": [{"sku": "sku-%d", "qty": %d, "price": 19.99}, {"sku": "sku-%d", "qty": 1, "price": 5.00}],
                             "shipping": {"method": "express", "address": {"street": "Main St 1", "city": "Berlin", "zip": "10115"}},
                             "total": 44.98, "currency": "EUR"},
                 "steps": [
                   {"name": "reserve-stock",
                    "locks": [{"resource": "sku:sku-%d", "mode": "EXCLUSIVE"}],
                    "action": {"method": "POST", "url": "http://127.0.0.1:9000/inventory/reserve",
                               "headers": {"X-Tenant": "tenant-%d"},
                               "body": {"orderId": "{{payload.orderId}}", "lines": "{{payload.lines}}"},
                               "timeout": "PT10S"},
                    "compensation": {"method": "POST", "url": "http://127.0.0.1:9000/inventory/release",
                                     "body": {"reservationId": "{{steps.reserve-stock.response.reservationId}}"}},
                    "retry": {"maxAttempts": 3, "initialBackoff": "PT0.5S", "multiplier": 2.0, "maxBackoff": "PT30S"}},
                   {"name": "charge-payment",
                    "locks": [{"resource": "account:acc-%d", "mode": "EXCLUSIVE"}],
                    "action": {"method": "POST", "url": "http://127.0.0.1:9001/payments/charge",
                               "body": {"account": "{{payload.accountId}}", "amount": "{{payload.total}}",
                                        "currency": "{{payload.currency}}", "reservation": "{{steps.reserve-stock.response.reservationId}}"},
                               "timeout": "PT15S"},
                    "compensation": {"method": "POST", "url": "http://127.0.0.1:9001/payments/refund",
                                     "body": {"chargeId": "{{steps.charge-payment.response.chargeId}}"}}},
                   {"name": "ship-order",
                    "action": {"method": "POST", "url": "http://127.0.0.1:9002/shipping/orders/{{payload.orderId}}",
                               "body": {"address": "{{payload.shipping.address}}", "method": "{{payload.shipping.method}}"}}}
                 ]}
                """.formatted(i % 10, i % 20, order, i % 1000, account, sku, 1 + i % 3, (sku + 1) % 500, sku, i % 20,
                account);
    }

    private static long commits(Db db, String database) {
        return db.count("SELECT xact_commit FROM pg_stat_database WHERE datname = '" + database + "'");
    }
}
