package io.sagawarden.execution;

import static io.sagawarden.testing.SagaBuilder.aSaga;
import static org.assertj.core.api.Assertions.assertThat;

import io.sagawarden.testing.AppProcess;
import io.sagawarden.testing.Db;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.Ledger;
import io.sagawarden.testing.OutsideProgram;
import io.sagawarden.testing.PgAutoFailover;
import io.sagawarden.testing.PostgresServer;
import io.sagawarden.testing.Processes;
import io.sagawarden.testing.SagaBuilder;
import io.sagawarden.testing.TestParticipant;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL fails over under load, the supported way (docs/operations.md, "PostgreSQL failover"): two nodes reach a
 * primary with a synchronous standby through a multi-host URL, and pg_auto_failover promotes the standby when the
 * primary's machine dies (its keeper and server get SIGKILL) while transfers come in. The transfers are sagas that
 * hold EXCLUSIVE locks on two accounts, taken in random order so that they deadlock, half of them restarting when
 * they are the victim, a few with a credit the ledger refuses. Afterwards every transfer has ended, the ledger holds
 * exactly the completed ones (each leg applied once, in the saga's last run) and nothing of the compensated ones,
 * and no lock is left.
 */
class PostgresFailoverIT {

    private static final int TRANSFERS = 60;
    private static final int ACCOUNTS = 6;
    /** The primary dies once this many transfers are in, so about two thirds arrive during and after the failover. */
    private static final int KILL_AFTER = 20;
    /** Leases that expire within seconds, so that work whose outcome the dead primary lost is taken up again soon. */
    private static final Map<String, String> FAST_RECOVERY = Map.of("saga.execution.lease", "PT3S",
            "saga.execution.heartbeat", "PT1S", "saga.execution.poll-interval", "PT0.2S",
            "saga.cluster.heartbeat", "PT1S", "saga.cluster.leader-lease", "PT3S");

    private record Transfer(int index, String from, String to, long amount, boolean refused, boolean restarts,
                            boolean debitFirst) {
    }

    @Test
    void every_transfer_ends_as_the_ledger_shows_when_the_primary_dies_mid_load() throws Exception {
        PgAutoFailover cluster = cluster();
        List<AppProcess> nodes = new ArrayList<>();
        ExecutorService clients = Executors.newFixedThreadPool(4);
        long started = System.nanoTime();
        try (TestParticipant participant = TestParticipant.start()) {
            Ledger ledger = new Ledger().serveOn(participant);
            cluster.createDatabase("failover");
            String jdbcUrl = cluster.jdbcUrl("failover");
            Db db = Db.ofUrl(jdbcUrl);
            Map<String, String> settings = new HashMap<>(FAST_RECOVERY);
            settings.put("quarkus.datasource.jdbc.url", jdbcUrl);
            for (String name : List.of("node-1", "node-2")) {
                nodes.add(AppProcess.start(name, "failover", settings));
            }
            log(started, "cluster and nodes up; the URL is " + jdbcUrl);

            List<Transfer> transfers = transfers(new Random(20_261_202L));
            // Actions of a few hundred milliseconds until shortly after the kill: the primary dies while sagas hold
            // locks and wait for answers; afterwards the backlog drains at full speed.
            ledger.slow(Duration.ofSeconds(30));
            AtomicInteger accepted = new AtomicInteger();
            List<Future<?>> submissions = new ArrayList<>();
            for (Transfer t : transfers) {
                submissions.add(clients.submit(() -> {
                    submit(nodes, t, saga(t, participant));
                    accepted.incrementAndGet();
                    Processes.sleep(800);
                }));
            }
            try {
                Eventually.await(KILL_AFTER + " transfers to be in", Duration.ofSeconds(60), accepted::get,
                        n -> n >= KILL_AFTER, Duration.ofMillis(50));
                String unfinished = "SELECT count(*) FROM sagas WHERE ended_at IS NULL";
                long underWay = Eventually.await("transfers under way", Duration.ofSeconds(30), () -> db.count(unfinished),
                        n -> n >= 3, Duration.ofMillis(50));
                PgAutoFailover.Node dead = cluster.killPrimary();
                log(started, "killed the primary " + dead + " with " + accepted.get() + " transfers in, " + underWay
                        + " of them unfinished");
                Duration promotion = cluster.awaitPromotion(Duration.ofSeconds(60));
                String promotedAt = db.rows("SELECT now()::text AS now").getFirst().get("now").toString();
                log(started, "the standby takes writes %.1f s after the kill; %d transfers in".formatted(
                        promotion.toMillis() / 1000.0, accepted.get()));
                Eventually.await("the monitor to name the standby primary", Duration.ofSeconds(30), cluster::primary,
                        p -> p.isPresent() && !p.get().equals(dead));

                for (Future<?> submission : submissions) {
                    submission.get(120, TimeUnit.SECONDS);
                }
                Eventually.await("every transfer to end", Duration.ofSeconds(120), () -> db.count(unfinished),
                        n -> n == 0, Duration.ofMillis(200));
                log(started, "every transfer has ended");
                audit(db, transfers, ledger);
                assertThat(db.rows("SELECT DISTINCT detail ->> 'node' AS node FROM saga_events WHERE kind IN "
                        + "('STARTED', 'RECLAIMED') AND at > '" + promotedAt + "'"))
                        .as("both nodes took up work on the promoted standby").hasSize(2);
            } catch (AssertionError | RuntimeException e) {
                describeUnfinished(db);
                cluster.saveLogs(Path.of("target", "it-logs"));
                throw e;
            }
        } finally {
            clients.shutdownNow();
            nodes.forEach(AppProcess::close);
            cluster.close();
            log(started, "stopped");
        }
    }

    /** The cluster, or a loud skip where pg_auto_failover is not installed (a failure under CI, which installs it). */
    private static PgAutoFailover cluster() {
        try {
            return PgAutoFailover.start();
        } catch (PostgresServer.Unavailable e) {
            OutsideProgram.require(false, "PostgresFailoverIT needs pg_auto_failover: " + e.getMessage());
            throw new IllegalStateException(e);
        }
    }

    private static List<Transfer> transfers(Random random) {
        List<Transfer> transfers = new ArrayList<>();
        for (int i = 0; i < TRANSFERS; i++) {
            int from = random.nextInt(ACCOUNTS);
            int to = (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
            transfers.add(new Transfer(i, "acct-" + from, "acct-" + to, 1 + random.nextInt(100), i % 10 == 3,
                    i % 2 == 0, random.nextBoolean()));
        }
        return transfers;
    }

    /**
     * Submits under the transfer's own Idempotency-Key until a node accepts it, trying the nodes in turn: while
     * there is no primary a submission fails with a 5xx, and one whose answer was lost is found again by its key.
     */
    private static void submit(List<AppProcess> nodes, Transfer t, String json) {
        AtomicInteger attempt = new AtomicInteger();
        int status = Eventually.await("transfer " + t.index() + " to be accepted", Duration.ofSeconds(120), () -> {
            AppProcess node = nodes.get((t.index() + attempt.getAndIncrement()) % nodes.size());
            try {
                return node.post("/api/v1/sagas", json, Map.of("Idempotency-Key", "transfer-" + t.index())).statusCode();
            } catch (IllegalStateException e) {
                return 0;
            }
        }, s -> s >= 200 && s < 500, Duration.ofMillis(300));
        assertThat(status).as("transfer %d accepted", t.index()).isIn(200, 201);
    }

    private static String saga(Transfer t, TestParticipant participant) {
        SagaBuilder saga = aSaga().type("FailoverTransfer").payload("{\"transfer\": " + t.index() + "}");
        List<String> legs = t.debitFirst() ? List.of("debit", "credit") : List.of("credit", "debit");
        for (String leg : legs) {
            String account = leg.equals("debit") ? t.from() : t.to();
            boolean refuse = leg.equals("credit") && t.refused();
            saga.step(leg, participant.url("/" + leg)).withLock("account:" + account, "EXCLUSIVE")
                    .withActionBody("{\"account\": \"%s\", \"amount\": %d, \"refuse\": %b}".formatted(account, t.amount(), refuse))
                    .withCompensation(participant.url("/undo"));
        }
        return saga.json().replaceFirst("\\{", "{\"onDeadlock\": \"" + (t.restarts() ? "RESTART" : "COMPENSATE") + "\", ");
    }

    /**
     * What each saga reports against what the ledger holds: the keys of the entries that stand (applied and not
     * undone) are, per saga, both legs of its last run when it COMPLETED and none when it was COMPENSATED.
     */
    private static void audit(Db db, List<Transfer> transfers, Ledger ledger) {
        List<Map<String, Object>> sagas = db.rows("""
                SELECT id::text AS id, status, restart_count, (payload ->> 'transfer')::int AS transfer FROM sagas""");
        assertThat(sagas).as("one saga per transfer, none lost, none twice").hasSize(TRANSFERS)
                .extracting(s -> s.get("transfer")).doesNotHaveDuplicates();
        Map<String, Long> outcomes = new HashMap<>();
        sagas.forEach(s -> outcomes.merge((String) s.get("status"), 1L, Long::sum));
        System.out.println("PostgresFailoverIT: outcomes " + outcomes + ", deadlocks "
                + db.count("SELECT count(*) FROM deadlocks") + ", restarts " + db.count("SELECT coalesce(sum(restart_count), 0) FROM sagas"));
        assertThat(outcomes.keySet()).as("every saga ended COMPLETED or COMPENSATED").isSubsetOf("COMPLETED", "COMPENSATED");

        Set<String> expected = new HashSet<>();
        Map<String, Long> balances = new HashMap<>();
        for (Map<String, Object> s : sagas) {
            Transfer t = transfers.get((Integer) s.get("transfer"));
            if (s.get("status").equals("COMPLETED")) {
                int restarts = (Integer) s.get("restart_count");
                String run = restarts == 0 ? "" : ":run" + (restarts + 1);
                expected.add(s.get("id") + ":debit:action" + run);
                expected.add(s.get("id") + ":credit:action" + run);
                balances.merge(t.from(), -t.amount(), Long::sum);
                balances.merge(t.to(), t.amount(), Long::sum);
            }
        }
        Set<String> standing = new HashSet<>();
        ledger.entries().stream().filter(e -> !e.undone()).forEach(e -> standing.add(e.key()));
        assertThat(standing).as("the ledger entries that stand are the completed transfers' legs, once each")
                .isEqualTo(expected);
        Map<String, Long> held = ledger.balances();
        held.values().removeIf(v -> v == 0);
        balances.values().removeIf(v -> v == 0);
        assertThat(held).as("balances equal the completed transfers").isEqualTo(balances);

        assertThat(db.count("SELECT count(*) FROM resource_locks")).as("locks left").isZero();
        assertThat(db.count("SELECT count(*) FROM lock_waits")).as("lock queue entries left").isZero();
        assertThat(db.count("SELECT count(*) FROM sagas WHERE lease_owner IS NOT NULL")).as("leases left").isZero();
    }

    private static void describeUnfinished(Db db) {
        try {
            System.out.println("PostgresFailoverIT: unfinished: " + db.rows("""
                    SELECT status, lease_owner, count(*), max(updated_at) AS last_change
                    FROM sagas WHERE ended_at IS NULL GROUP BY 1, 2"""));
        } catch (RuntimeException e) {
            System.out.println("PostgresFailoverIT: the database does not answer: " + e.getMessage());
        }
    }

    private static void log(long since, String what) {
        System.out.printf("PostgresFailoverIT: %.1f s: %s%n", (System.nanoTime() - since) / 1e9, what);
    }
}
