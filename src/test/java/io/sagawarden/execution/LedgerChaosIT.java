package io.sagawarden.execution;

import static io.sagawarden.testing.SagaBuilder.aSaga;
import static org.assertj.core.api.Assertions.assertThat;

import io.sagawarden.testing.AppProcess;
import io.sagawarden.testing.Db;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.Ledger;
import io.sagawarden.testing.PostgresServer;
import io.sagawarden.testing.PostgresTestDatabase;
import io.sagawarden.testing.Processes;
import io.sagawarden.testing.SagaBuilder;
import io.sagawarden.testing.TestParticipant;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Money transfers as sagas against an idempotent ledger, on three nodes, through everything that goes wrong in
 * production at once: transfers over a few hot accounts in random lock order (deadlocks all the time), half of
 * them restarting when they are a deadlock victim, a few credits refused, a node killed with SIGKILL and
 * started again, PostgreSQL crashed and restarted, and the ledger answering 503 for a few seconds. Then the
 * ledger is audited against what every saga reports: a COMPLETED transfer applied exactly once on both legs, in
 * its last run; a COMPENSATED one net zero; balances equal to the completed transfers.
 */
class LedgerChaosIT {

    // The workload can be made harsher on purpose, e.g. to compare restart policies (docs/architecture.md):
    // -Dchaos.transfers=600 -Dchaos.accounts=4 -Dchaos.pause-ms=100 -Dchaos.node.saga.deadlock.restart-backoff=PT0.001S
    private static final int TRANSFERS = Integer.getInteger("chaos.transfers", 300);
    private static final int ACCOUNTS = Integer.getInteger("chaos.accounts", 8);
    private static final long PAUSE_MS = Long.getLong("chaos.pause-ms", 500);
    private static final String NODE_SETTING = "chaos.node.";
    private static final boolean CI = "true".equalsIgnoreCase(System.getenv("CI"));

    private record Transfer(int index, String from, String to, long amount, boolean refused, boolean restarts,
                            boolean debitFirst) {
    }

    @Test
    void every_transfer_is_applied_exactly_as_its_saga_reports_through_kills_restarts_and_outages() throws Exception {
        PostgresServer server = ownServer();
        String database = server != null ? "chaos" : PostgresTestDatabase.create();
        String jdbcUrl;
        if (server != null) {
            server.createDatabase(database);
            jdbcUrl = server.jdbcUrl(database);
        } else {
            jdbcUrl = PostgresTestDatabase.url(database);
        }
        Db db = Db.ofUrl(jdbcUrl);
        Map<String, String> settings = new HashMap<>(Map.ofEntries(Map.entry("quarkus.datasource.jdbc.url", jdbcUrl),
                Map.entry("saga.execution.lease", "PT2S"), Map.entry("saga.execution.heartbeat", "PT0.5S"),
                Map.entry("saga.execution.poll-interval", "PT0.2S"), Map.entry("saga.execution.concurrency", "32"),
                Map.entry("saga.execution.compensation-retry.max-attempts", "60"),
                Map.entry("saga.execution.compensation-retry.initial-backoff", "PT0.1S"),
                Map.entry("saga.execution.compensation-retry.max-backoff", "PT1S"),
                Map.entry("saga.cluster.heartbeat", "PT0.5S"), Map.entry("saga.cluster.leader-lease", "PT2S"),
                Map.entry("saga.recovery.interval", "PT2S"), Map.entry("saga.recovery.stuck-after", "PT20S")));
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith(NODE_SETTING))
                .forEach(k -> settings.put(k.substring(NODE_SETTING.length()), System.getProperty(k)));
        List<Transfer> transfers = transfers(new Random(20_261_201L));
        List<AppProcess> nodes = new ArrayList<>();
        ExecutorService submitters = Executors.newFixedThreadPool(6);
        ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().factory());
        Ledger ledger = new Ledger();
        try (TestParticipant participant = TestParticipant.start()) {
            ledger.serveOn(participant);
            for (String name : List.of("node-1", "node-2", "node-3")) {
                nodes.add(AppProcess.start(name, database, settings));
            }
            long started = System.nanoTime();
            List<Future<?>> submitted = new ArrayList<>();
            AtomicInteger accepted = new AtomicInteger();
            for (Transfer t : transfers) {
                submitted.add(submitters.submit(() -> {
                    submit(nodes, t, participant);
                    accepted.incrementAndGet();
                    Processes.sleep(PAUSE_MS);
                }));
            }
            progress.scheduleAtFixedRate(() -> report(db, started, accepted.get()), 10, 10, TimeUnit.SECONDS);

            injectFaults(nodes, database, settings, server, ledger, db, started);

            for (Future<?> f : submitted) {
                f.get(180, TimeUnit.SECONDS);
            }
            try {
                Eventually.await("every transfer to end", Duration.ofSeconds(Math.max(240, TRANSFERS)),
                        () -> db.count("SELECT count(*) FROM sagas WHERE ended_at IS NULL"), n -> n == 0);
                audit(db, transfers, ledger, seconds(started));
                assertThat(participant.answers()).as("the outage answered calls with 503").anyMatch(a -> a.status() == 503);
                assertThat(db.count("SELECT count(*) FROM saga_events WHERE kind IN ('STEP_RETRY_SCHEDULED', "
                        + "'COMPENSATION_RETRY_SCHEDULED')")).as("and those calls were retried").isPositive();
                assertThat(db.count("SELECT count(*) FROM saga_events WHERE kind = 'RECLAIMED'"))
                        .as("another node took over the killed node's sagas").isPositive();
            } catch (AssertionError e) {
                describeUnfinished(db);
                if (server != null) {
                    server.dump(database, Path.of("target", "it-logs", "chaos-dump.sql"));
                }
                throw e;
            }
        } finally {
            progress.shutdownNow();
            submitters.shutdownNow();
            nodes.forEach(AppProcess::close);
            if (server != null) {
                server.close();
            } else {
                PostgresTestDatabase.drop(database);
            }
        }
    }

    /**
     * While the transfers come in: node-3 is killed with SIGKILL while it holds sagas mid-call (the ledger is slow
     * for a while so that it does) and started again under a new name; PostgreSQL is crashed and restarted; the
     * ledger answers 503 for a few seconds.
     */
    private static void injectFaults(List<AppProcess> nodes, String database, Map<String, String> settings,
                                     PostgresServer server, Ledger ledger, Db db, long started) {
        Processes.sleep(5_000);
        ledger.slow(Duration.ofSeconds(30));
        String midCall = "SELECT count(*) FROM sagas WHERE lease_owner = 'node-3' AND busy_until > now()";
        Eventually.await("node-3 to hold a saga mid-call", Duration.ofSeconds(30), () -> db.count(midCall), n -> n >= 1);
        long inFlight = db.count(midCall);
        nodes.get(2).kill();
        System.out.printf("LedgerChaosIT: %.1f s: killed node-3 with %d sagas mid-call%n", seconds(started), inFlight);
        nodes.set(2, AppProcess.start("node-3-again", database, settings));
        System.out.printf("LedgerChaosIT: %.1f s: node-3-again is up%n", seconds(started));
        Processes.sleep(2_000);
        if (server != null) {
            server.crashAndRestart(Duration.ofSeconds(2));
            System.out.printf("LedgerChaosIT: %.1f s: PostgreSQL crashed and restarted%n", seconds(started));
        }
        Processes.sleep(3_000);
        ledger.outage(Duration.ofSeconds(5));
        System.out.printf("LedgerChaosIT: %.1f s: the ledger answers 503 for 5 s%n", seconds(started));
    }

    private static void report(Db db, long started, int accepted) {
        try {
            System.out.printf("LedgerChaosIT: %.1f s: %d accepted, %s%n", seconds(started), accepted, db.rows("""
                    SELECT count(*) FILTER (WHERE ended_at IS NOT NULL) AS ended, count(*) FILTER (WHERE status = 'WAITING')
                           AS waiting, (SELECT count(*) FROM deadlocks) AS deadlocks FROM sagas""").getFirst());
        } catch (RuntimeException e) {
            System.out.printf("LedgerChaosIT: %.1f s: the database does not answer%n", seconds(started));
        }
    }

    /** A server of the test's own, which it may crash; only where there is none does it run on the shared one. */
    private static PostgresServer ownServer() {
        try {
            return PostgresServer.start();
        } catch (PostgresServer.Unavailable e) {
            if (CI) {
                throw new AssertionError("CI must be able to run a PostgreSQL server of the test's own: " + e.getMessage());
            }
            System.err.println("""
                    ***********************************************************************************
                    LedgerChaosIT: NOT restarting PostgreSQL mid-load, the test cannot run a server of its own:
                      %s
                    The rest of the chaos runs on the shared server.
                    ***********************************************************************************""".formatted(e.getMessage()));
            return null;
        }
    }

    private static List<Transfer> transfers(Random random) {
        List<Transfer> transfers = new ArrayList<>();
        for (int i = 0; i < TRANSFERS; i++) {
            int from = random.nextInt(ACCOUNTS);
            int to = (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
            transfers.add(new Transfer(i, "acct-" + from, "acct-" + to, 1 + random.nextInt(100), random.nextInt(20) == 0,
                    i % 2 == 0, random.nextBoolean()));
        }
        return transfers;
    }

    /** Submits with the transfer's own Idempotency-Key until a node takes it: one saga, whatever fails meanwhile. */
    private static void submit(List<AppProcess> nodes, Transfer t, TestParticipant participant) {
        String json = saga(t, participant);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        for (int attempt = 0; System.nanoTime() < deadline; attempt++) {
            AppProcess node = nodes.get((t.index() + attempt) % nodes.size());
            try {
                HttpResponse<String> response = node.post("/api/v1/sagas", json, Map.of("Idempotency-Key", "transfer-" + t.index()));
                if (response.statusCode() == 201 || response.statusCode() == 200) {
                    return;
                }
                assertThat(response.statusCode()).as("submission of transfer %d: %s", t.index(), response.body())
                        .isGreaterThanOrEqualTo(500);
            } catch (IllegalStateException e) {
                // that node is down: try the next one
            }
            Processes.sleep(300);
        }
        throw new AssertionError("transfer " + t.index() + " was never accepted");
    }

    private static String saga(Transfer t, TestParticipant participant) {
        SagaBuilder saga = aSaga().type("TransferSaga").payload("{\"transfer\": " + t.index() + "}");
        String onDeadlock = t.restarts() ? "RESTART" : "COMPENSATE";
        if (t.debitFirst()) {
            debit(saga, t, participant);
            credit(saga, t, participant);
        } else {
            credit(saga, t, participant);
            debit(saga, t, participant);
        }
        return saga.json().replaceFirst("\\{", "{\"onDeadlock\": \"" + onDeadlock + "\", ");
    }

    private static void debit(SagaBuilder saga, Transfer t, TestParticipant participant) {
        leg(saga.step("debit", participant.url("/debit"))
                .withActionBody("{\"account\": \"" + t.from() + "\", \"amount\": " + t.amount() + "}"), t.from(), participant);
    }

    private static void credit(SagaBuilder saga, Transfer t, TestParticipant participant) {
        leg(saga.step("credit", participant.url("/credit")).withActionBody("{\"account\": \"" + t.to() + "\", \"amount\": "
                + t.amount() + ", \"refuse\": " + t.refused() + "}"), t.to(), participant);
    }

    private static void leg(SagaBuilder saga, String account, TestParticipant participant) {
        saga.withLock("account:" + account, "EXCLUSIVE").withCompensation(participant.url("/undo"))
                .withRetry(40, "PT0.3S");
    }

    private static void audit(Db db, List<Transfer> transfers, Ledger ledger, double drained) {
        Map<String, Map<String, Object>> sagas = new HashMap<>();
        for (Map<String, Object> row : db.rows("""
                SELECT id::text AS id, status, reason, restart_count, (payload ->> 'transfer')::int AS transfer,
                       (SELECT count(*) FROM deadlocks d WHERE d.victim_saga_id = s.id) AS victim_of
                FROM sagas s""")) {
            sagas.put((String) row.get("id"), row);
        }
        assertThat(sagas).as("one saga per transfer").hasSize(TRANSFERS);
        assertThat(sagas.values()).as("no FAILED saga, every saga ended")
                .allSatisfy(s -> assertThat(s.get("status")).isIn("COMPLETED", "COMPENSATED"));

        long deadlocks = db.count("SELECT count(*) FROM deadlocks");
        long victims = db.count("SELECT count(DISTINCT victim_saga_id) FROM deadlocks");
        List<Map<String, Object>> restarts = db.rows("""
                SELECT coalesce(sum(restart_count), 0) AS total, coalesce(max(restart_count), 0) AS most,
                       count(*) AS sagas FROM sagas WHERE on_deadlock = 'RESTART'""");
        long restarted = ((Number) restarts.getFirst().get("total")).longValue();
        long restartSagas = ((Number) restarts.getFirst().get("sagas")).longValue();
        System.out.printf("""
                LedgerChaosIT: %d transfers drained in %.1f s
                LedgerChaosIT: %d deadlocks (%.2f per transfer), %d distinct victims; %d restarts of %d RESTART \
                transfers (%.2f per transfer, at most %s)%n""",
                TRANSFERS, drained, deadlocks, (double) deadlocks / TRANSFERS, victims, restarted,
                restartSagas, (double) restarted / restartSagas, restarts.getFirst().get("most"));
        Map<String, List<Ledger.Entry>> standing = new HashMap<>();
        for (Ledger.Entry e : ledger.entries()) {
            String saga = e.key().substring(0, e.key().indexOf(':'));
            assertThat(sagas).as("entry %s belongs to a saga", e.key()).containsKey(saga);
            if (!e.undone()) {
                standing.computeIfAbsent(saga, k -> new ArrayList<>()).add(e);
            }
        }
        Map<String, Long> expected = new HashMap<>();
        Map<String, Integer> byOutcome = new HashMap<>();
        for (Map<String, Object> saga : sagas.values()) {
            String id = (String) saga.get("id");
            Transfer t = transfers.get((Integer) saga.get("transfer"));
            List<Ledger.Entry> entries = standing.getOrDefault(id, List.of());
            byOutcome.merge(saga.get("status") + (saga.get("reason") == null ? "" : " " + saga.get("reason")), 1, Integer::sum);
            if ("COMPLETED".equals(saga.get("status"))) {
                assertThat(t.refused()).as("a refused credit never completes (transfer %d)", t.index()).isFalse();
                String run = (Integer) saga.get("restart_count") == 0 ? "" : ":run" + ((Integer) saga.get("restart_count") + 1);
                assertThat(entries).as("transfer %d (saga %s) applied once per leg, in its last run", t.index(), id)
                        .containsExactlyInAnyOrder(
                                new Ledger.Entry(id + ":debit:action" + run, t.from(), -t.amount(), false),
                                new Ledger.Entry(id + ":credit:action" + run, t.to(), t.amount(), false));
                expected.merge(t.from(), -t.amount(), Long::sum);
                expected.merge(t.to(), t.amount(), Long::sum);
            } else {
                assertThat(entries).as("transfer %d (saga %s) compensated to nothing", t.index(), id).isEmpty();
            }
        }
        System.out.println("LedgerChaosIT: outcomes " + byOutcome);
        Map<String, Long> balances = ledger.balances();
        balances.values().removeIf(v -> v == 0);
        expected.values().removeIf(v -> v == 0);
        assertThat(balances).as("balances equal the completed transfers").isEqualTo(expected);
        assertThat(balances.values().stream().mapToLong(Long::longValue).sum()).as("money is neither made nor lost").isZero();

        assertThat(db.count("SELECT count(*) FROM resource_locks")).as("locks left").isZero();
        assertThat(db.count("SELECT count(*) FROM lock_waits")).as("queue entries left").isZero();
        assertThat(db.rows("""
                SELECT saga_id, kind, description, metadata::text, created_at FROM alerts
                WHERE kind IN ('STUCK', 'RECOVERY_FAILED')"""))
                .as("nothing was stuck: every saga always had something legitimate pending").isEmpty();

        assertThat(deadlocks).as("the workload deadlocks").isPositive();
        assertThat(restarted).as("victims restarted").isPositive();
    }

    /** What a failed drain left behind, for the log. */
    private static void describeUnfinished(Db db) {
        System.out.println("LedgerChaosIT: unfinished by status: " + db.rows("""
                SELECT status, abort_reason, lease_owner IS NOT NULL AS leased, count(*), min(next_run_at) AS first_due,
                       max(next_run_at) AS last_due, max(restart_count) AS restarts
                FROM sagas WHERE ended_at IS NULL GROUP BY 1, 2, 3"""));
        System.out.println("LedgerChaosIT: holders: " + db.rows("""
                SELECT l.resource, l.saga_id, l.mode, s.status, s.lease_owner, s.next_run_at, s.abort_reason, s.current_step,
                       (SELECT count(*) FROM lock_waits w WHERE w.resource = l.resource) AS queued
                FROM resource_locks l JOIN sagas s ON s.id = l.saga_id ORDER BY l.resource"""));
        System.out.println("LedgerChaosIT: queues: " + db.rows("""
                SELECT w.resource, count(*) AS waiting, min(w.seq) AS first_seq,
                       (SELECT s.status || '/' || coalesce(s.abort_reason, '-') FROM sagas s JOIN lock_waits f
                        ON f.saga_id = s.id WHERE f.resource = w.resource ORDER BY f.seq LIMIT 1) AS first_waiter
                FROM lock_waits w GROUP BY w.resource ORDER BY w.resource"""));
        System.out.println("LedgerChaosIT: latest events: " + db.rows("""
                SELECT kind, count(*), max(at) FROM saga_events GROUP BY kind ORDER BY max(at) DESC LIMIT 12"""));
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
