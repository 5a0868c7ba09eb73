package io.sagawarden.lock;

import static io.sagawarden.testing.SagaBuilder.aSaga;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sagawarden.testing.AppProcess;
import io.sagawarden.testing.Db;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.PostgresTestDatabase;
import io.sagawarden.testing.SagaBuilder;
import io.sagawarden.testing.TestParticipant;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A randomized, cycle-free lock workload on two nodes: many sagas take SHARED / UPDATE / EXCLUSIVE locks on a
 * dozen resources, always in ascending resource order and never twice the same resource (so no deadlock and no
 * upgrade can happen), while two independent checkers watch for a broken compatibility matrix:
 * <ul>
 *   <li>a thread polling {@code resource_locks} every few milliseconds for a resource with incompatible holders;</li>
 *   <li>the participant itself, which knows from each action body which locks the calling saga holds, and flags
 *       two in-flight calls of different sagas holding incompatible modes on the same resource.</li>
 * </ul>
 * Afterwards, the whole history is checked from the saga events: for every resource, any two incompatible grants
 * never overlap in time (a grant comes after the earlier holder's saga ended), and fencing tokens grow with time.
 *
 * <p>The workload is generated from a fixed seed, printed at the start; rerun a failure with {@code -Dlock.seed=N}
 * (and {@code -Dlock.sagas=N} to change the size, {@code -Dlock.maxLocksPerStep=1} for single-resource requests only).
 */
class RandomizedLockIT {

    private static final long SEED = Long.getLong("lock.seed", 0x5A6A_10C4L);
    private static final int SAGAS = Integer.getInteger("lock.sagas", 160);
    /** At most this many locks per step (0..n); 1 makes every request single-resource. */
    private static final int MAX_LOCKS_PER_STEP = Integer.getInteger("lock.maxLocksPerStep", 3);
    private static final int RESOURCES = 12;
    private static final List<String> MODES = List.of("SHARED", "UPDATE", "EXCLUSIVE");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One generated saga: its steps, each with the locks it takes (resource to mode, ascending). */
    record Plan(int index, List<Map<String, String>> steps) {
        Map<String, String> allLocks() {
            Map<String, String> all = new TreeMap<>();
            steps.forEach(all::putAll);
            return all;
        }
    }

    /** A participant call in flight: which saga, holding which locks. */
    record InFlight(String saga, String step, Map<String, String> held) {
    }

    /** The compatibility matrix, written out independently of the main code's LockMode. */
    static boolean compatible(String a, String b) {
        return (a.equals("SHARED") && (b.equals("SHARED") || b.equals("UPDATE")))
                || (a.equals("UPDATE") && b.equals("SHARED"));
    }

    static List<Plan> generate(long seed, int sagas) {
        Random random = new Random(seed);
        List<Plan> plans = new ArrayList<>();
        for (int i = 0; i < sagas; i++) {
            int stepCount = 1 + random.nextInt(4);
            int[] lockCounts = new int[stepCount];
            int total = 0;
            for (int s = 0; s < stepCount; s++) {
                lockCounts[s] = random.nextInt(MAX_LOCKS_PER_STEP + 1);
                total += lockCounts[s];
            }
            List<String> pool = new ArrayList<>();
            for (int r = 0; r < RESOURCES; r++) {
                pool.add(resource(r));
            }
            Collections.shuffle(pool, random);
            // Distinct resources, handed out in ascending order across the steps: the workload is cycle-free.
            List<String> chosen = new ArrayList<>(new TreeSet<>(pool.subList(0, Math.min(total, RESOURCES))));
            Iterator<String> next = chosen.iterator();
            List<Map<String, String>> steps = new ArrayList<>();
            for (int s = 0; s < stepCount; s++) {
                Map<String, String> locks = new TreeMap<>();
                for (int l = 0; l < lockCounts[s] && next.hasNext(); l++) {
                    locks.put(next.next(), MODES.get(random.nextInt(MODES.size())));
                }
                steps.add(locks);
            }
            plans.add(new Plan(i, steps));
        }
        return plans;
    }

    static String resource(int r) {
        return String.format("res:%02d", r);
    }

    /** Participant delay in [5, 60] ms, derived from the seed so a rerun is as close as timing allows. */
    static long delayMs(long seed, int saga, int step) {
        long h = seed * 0x9E3779B97F4A7C15L + saga * 31L + step;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return 5 + Math.floorMod(h, 56);
    }

    @Test
    void random_cycle_free_lock_workload_on_two_nodes_never_grants_incompatible_locks() throws Exception {
        System.out.printf("RandomizedLockIT: seed=%d sagas=%d resources=%d locks/step=0..%d (rerun with -Dlock.seed=%d)%n",
                SEED, SAGAS, RESOURCES, MAX_LOCKS_PER_STEP, SEED);
        List<Plan> plans = generate(SEED, SAGAS);
        long lockedSteps = plans.stream().flatMap(p -> p.steps().stream()).filter(m -> !m.isEmpty()).count();
        System.out.printf("RandomizedLockIT: %d steps, %d of them with locks, %d lock requests%n",
                plans.stream().mapToInt(p -> p.steps().size()).sum(), lockedSteps,
                plans.stream().mapToInt(p -> p.allLocks().size()).sum());

        String database = PostgresTestDatabase.create();
        Db db = new Db(database);
        Map<String, String> settings = Map.of("saga.execution.lease", "PT2S", "saga.execution.heartbeat", "PT0.5S",
                "saga.execution.poll-interval", "PT0.2S", "saga.execution.concurrency", "32",
                "saga.execution.compensation-retry.initial-backoff", "PT0.1S",
                "saga.execution.compensation-retry.max-backoff", "PT0.5S");

        List<String> participantViolations = new CopyOnWriteArrayList<>();
        List<String> headerMismatches = new CopyOnWriteArrayList<>();
        Map<String, List<InFlight>> inFlight = new HashMap<>();
        AtomicLong participantChecks = new AtomicLong();

        List<AppProcess> nodes = new ArrayList<>();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong dbChecks = new AtomicLong();
        List<String> dbViolations = new CopyOnWriteArrayList<>();
        List<Throwable> checkerErrors = new CopyOnWriteArrayList<>();
        Thread checker = null;
        try (TestParticipant participant = TestParticipant.start()) {
            participant.otherwise((n, call) -> {
                JsonNode body = SagaBuilder.parse(call.body());
                String saga = call.header("Saga-Id");
                Map<String, String> held = new TreeMap<>();
                body.get("held").fields().forEachRemaining(e -> held.put(e.getKey(), e.getValue().asText()));
                Set<String> tokenResources = fencedResources(call.header("Saga-Fencing-Tokens"));
                if (!tokenResources.equals(held.keySet())) {
                    headerMismatches.add("saga " + saga + " step " + call.header("Saga-Step") + " holds " + held.keySet()
                            + " but its Saga-Fencing-Tokens name " + tokenResources);
                }
                InFlight me = new InFlight(saga, call.header("Saga-Step"), held);
                synchronized (inFlight) {
                    participantChecks.incrementAndGet();
                    held.forEach((resource, mode) -> {
                        for (InFlight other : inFlight.getOrDefault(resource, List.of())) {
                            if (!other.saga().equals(saga) && !compatible(mode, other.held().get(resource))) {
                                participantViolations.add(resource + ": saga " + saga + " (" + me.step() + ", " + mode
                                        + ") called while saga " + other.saga() + " (" + other.step() + ", "
                                        + other.held().get(resource) + ") was in flight");
                            }
                        }
                        inFlight.computeIfAbsent(resource, r -> new ArrayList<>()).add(me);
                    });
                }
                try {
                    Thread.sleep(delayMs(SEED, body.get("saga").asInt(), body.get("step").asInt()));
                } finally {
                    // Removed before the reply is sent: the saga still holds its locks until it ends after that.
                    synchronized (inFlight) {
                        held.keySet().forEach(resource -> inFlight.get(resource).remove(me));
                    }
                }
                return TestParticipant.json(200, "{\"ok\": true}").reply(n, call);
            });

            nodes.add(AppProcess.start("node-a", database, settings));
            nodes.add(AppProcess.start("node-b", database, settings));

            checker = Thread.ofPlatform().name("lock-checker").start(() -> {
                try (Connection c = DriverManager.getConnection(PostgresTestDatabase.url(database),
                        PostgresTestDatabase.USER, PostgresTestDatabase.PASSWORD); Statement s = c.createStatement()) {
                    while (!stop.get()) {
                        try (ResultSet rs = s.executeQuery(INCOMPATIBLE_HOLDERS)) {
                            while (rs.next()) {
                                dbViolations.add(rs.getString("resource") + " held by " + rs.getString("holders"));
                            }
                        }
                        dbChecks.incrementAndGet();
                        Thread.sleep(2);
                    }
                } catch (SQLException | RuntimeException e) {
                    checkerErrors.add(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });

            Map<String, Plan> bySaga = new ConcurrentHashMap<>();
            List<Future<?>> submissions = new ArrayList<>();
            for (Plan plan : plans) {
                AppProcess node = nodes.get(plan.index() % nodes.size());
                String saga = sagaJson(plan, participant);
                submissions.add(clients.submit(() -> {
                    var response = node.post("/api/v1/sagas", saga);
                    assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
                    bySaga.put(SagaBuilder.parse(response.body()).get("id").asText(), plan);
                }));
            }
            for (Future<?> submission : submissions) {
                submission.get();
            }

            try {
                Eventually.await("every saga to end", Duration.ofSeconds(180),
                        () -> db.count("SELECT count(*) FROM sagas WHERE ended_at IS NULL"), n -> n == 0);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + " (seed " + SEED + ")\n" + diagnostics(db), e);
            } finally {
                stop.set(true);
                checker.join(10_000);
            }

            assertThat(checkerErrors).as("the database checker ran without errors").isEmpty();
            System.out.printf("RandomizedLockIT: %d database checks, %d participant checks%n", dbChecks.get(),
                    participantChecks.get());
            assertThat(dbChecks.get()).as("database checks that ran").isPositive();
            assertThat(participantChecks.get()).as("participant checks that ran").isPositive();
            assertThat(dbViolations).as("incompatible holders seen in resource_locks (seed %d)", SEED).isEmpty();
            assertThat(participantViolations).as("incompatible in-flight calls seen by the participant (seed %d)", SEED)
                    .isEmpty();
            assertThat(headerMismatches).as("Saga-Fencing-Tokens name exactly the locks the saga holds (seed %d)", SEED)
                    .isEmpty();

            assertThat(bySaga).hasSize(SAGAS);
            assertHistoryIsMutuallyExclusive(db, bySaga);
            long waited = db.count("SELECT count(*) FROM saga_events WHERE kind = 'WAITING_FOR_LOCK'");
            long waitingSagas = db.count("SELECT count(DISTINCT saga_id) FROM saga_events WHERE kind = 'WAITING_FOR_LOCK'");
            System.out.printf("RandomizedLockIT: %d WAITING_FOR_LOCK events over %d sagas%n", waited, waitingSagas);
            assertThat(waited).as("sagas actually waited for locks, or the run proves nothing").isPositive();

            // Every saga takes its resources in ascending order and never twice: no wait-for cycle can form, so
            // the deadlock detector (if one runs) must never find one.
            List<Map<String, Object>> deadlocks = db.rows("SELECT detected_at, text, cycle::text AS cycle FROM deadlocks "
                    + "ORDER BY detected_at LIMIT 5");
            StringBuilder plansOnCycles = new StringBuilder();
            for (Map<String, Object> deadlock : deadlocks) {
                for (JsonNode edge : SagaBuilder.parse((String) deadlock.get("cycle"))) {
                    Plan plan = bySaga.get(edge.get("waiter").asText());
                    plansOnCycles.append("\n  saga ").append(edge.get("waiter").asText()).append(" plan ")
                            .append(plan == null ? "?" : plan.index() + " " + plan.steps());
                }
            }
            assertThat(deadlocks).as("deadlocks in a cycle-free workload (seed %d; %d in all); plans of the sagas on "
                    + "these cycles:%s", SEED, db.count("SELECT count(*) FROM deadlocks"), plansOnCycles).isEmpty();
            List<Map<String, Object>> notCompleted = db.rows(
                    "SELECT id::text AS id, status, reason FROM sagas WHERE status <> 'COMPLETED'");
            assertThat(notCompleted).as("sagas that did not complete (seed %d)", SEED).isEmpty();
            assertThat(db.count("SELECT count(*) FROM sagas")).isEqualTo(SAGAS);
            assertThat(db.count("SELECT count(*) FROM resource_locks")).as("locks left behind").isZero();
            assertThat(db.count("SELECT count(*) FROM lock_waits")).as("waits left behind").isZero();
            assertThat(db.count("SELECT count(*) FROM sagas WHERE lease_owner IS NOT NULL")).as("leases left").isZero();
            // The lock manager's own transactions never deadlock in PostgreSQL: the server counts any it broke.
            db.execute("SELECT pg_stat_force_next_flush()");
            assertThat(db.count("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"))
                    .as("PostgreSQL deadlocks among the lock manager's transactions").isZero();

        } finally {
            stop.set(true);
            if (checker != null) {
                checker.join(10_000);
            }
            clients.shutdownNow();
            nodes.forEach(AppProcess::close);
            PostgresTestDatabase.drop(database);
        }
    }

    /**
     * From the events: every (saga, resource) was granted exactly once; per resource the fencing tokens grow with
     * the grant time; and a grant incompatible with an earlier one comes only after that earlier saga ended.
     */
    private static void assertHistoryIsMutuallyExclusive(Db db, Map<String, Plan> bySaga) {
        record Grant(String saga, String resource, String mode, long token, Timestamp at, Timestamp sagaEnded) {
        }
        Map<String, List<Grant>> byResource = new TreeMap<>();
        Map<String, Set<String>> grantedPerSaga = new HashMap<>();
        for (Map<String, Object> row : db.rows("""
                SELECT e.saga_id::text AS saga, t.key AS resource, t.value::bigint AS token, e.at, s.ended_at
                FROM saga_events e JOIN sagas s ON s.id = e.saga_id,
                     jsonb_each_text(e.detail -> 'fencingTokens') AS t
                WHERE e.kind = 'LOCKS_GRANTED'""")) {
            String saga = (String) row.get("saga");
            String resource = (String) row.get("resource");
            String mode = bySaga.get(saga).allLocks().get(resource);
            assertThat(mode).as("saga %s was granted %s, which it never asked for", saga, resource).isNotNull();
            assertThat(grantedPerSaga.computeIfAbsent(saga, k -> new HashSet<>()).add(resource))
                    .as("saga %s was granted %s twice", saga, resource).isTrue();
            byResource.computeIfAbsent(resource, k -> new ArrayList<>()).add(new Grant(saga, resource, mode,
                    ((Number) row.get("token")).longValue(), (Timestamp) row.get("at"), (Timestamp) row.get("ended_at")));
        }
        Set<String> completed = new HashSet<>();
        db.rows("SELECT id::text AS id FROM sagas WHERE status = 'COMPLETED'").forEach(r -> completed.add((String) r.get("id")));
        bySaga.forEach((saga, plan) -> {
            if (completed.contains(saga)) {
                assertThat(grantedPerSaga.getOrDefault(saga, Set.of()))
                        .as("completed saga %s (plan %d) got a grant for each lock it declared", saga, plan.index())
                        .isEqualTo(plan.allLocks().keySet());
            }
        });
        List<String> overlaps = new ArrayList<>();
        int pairs = 0;
        for (List<Grant> grants : byResource.values()) {
            grants.sort((a, b) -> a.at().compareTo(b.at()));
            for (int i = 1; i < grants.size(); i++) {
                assertThat(grants.get(i).token()).as("fencing tokens grow with time on %s", grants.get(i).resource())
                        .isGreaterThan(grants.get(i - 1).token());
            }
            for (int j = 0; j < grants.size(); j++) {
                Grant later = grants.get(j);
                for (int i = 0; i < j; i++) {
                    Grant earlier = grants.get(i);
                    if (compatible(earlier.mode(), later.mode())) {
                        continue;
                    }
                    pairs++;
                    if (!later.at().after(earlier.sagaEnded())) {
                        overlaps.add(later.resource() + ": " + later.mode() + " granted to " + later.saga() + " at "
                                + later.at() + ", but " + earlier.mode() + " holder " + earlier.saga()
                                + " (granted " + earlier.at() + ") ended only at " + earlier.sagaEnded());
                    }
                }
            }
        }
        System.out.printf("RandomizedLockIT: history check over %d grants, %d incompatible pairs%n",
                byResource.values().stream().mapToInt(List::size).sum(), pairs);
        assertThat(overlaps).as("incompatible grants overlapping in time (seed %d)", SEED).isEmpty();
    }

    /** Resources with two holders in incompatible modes; a single statement, so one consistent snapshot. */
    static final String INCOMPATIBLE_HOLDERS = """
            SELECT resource, string_agg(saga_id::text || ' ' || mode, ', ') AS holders
            FROM resource_locks
            GROUP BY resource
            HAVING (count(*) FILTER (WHERE mode = 'EXCLUSIVE') >= 1 AND count(*) > 1)
                OR count(*) FILTER (WHERE mode = 'UPDATE') > 1""";

    private static String sagaJson(Plan plan, TestParticipant participant) {
        SagaBuilder saga = aSaga().type("RandomLockSaga").label("plan", Integer.toString(plan.index()));
        Map<String, String> held = new TreeMap<>();
        for (int s = 0; s < plan.steps().size(); s++) {
            Map<String, String> locks = plan.steps().get(s);
            held.putAll(locks);
            ObjectNode body = JSON.createObjectNode();
            body.put("saga", plan.index());
            body.put("step", s);
            // Locks are held until the saga ends: the call of step s runs under all the locks of steps 0..s.
            ObjectNode heldNode = body.putObject("held");
            held.forEach(heldNode::put);
            saga.step("s" + s, participant.url("/act/" + plan.index() + "/" + s)).withActionBody(body.toString());
            locks.forEach(saga::withLock);
        }
        return saga.json();
    }

    private static Set<String> fencedResources(String header) {
        Set<String> resources = new TreeSet<>();
        if (header == null || header.isBlank()) {
            return resources;
        }
        for (String part : header.split(",")) {
            resources.add(part.substring(0, part.lastIndexOf('=')));
        }
        return resources;
    }

    private static String diagnostics(Db db) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("unfinished", db.rows("""
                SELECT id::text, status, current_step, lease_owner, next_run_at, labels ->> 'plan' AS plan
                FROM sagas WHERE ended_at IS NULL ORDER BY created_at LIMIT 40"""));
        out.put("resource_locks", db.rows("SELECT resource, saga_id::text, mode FROM resource_locks ORDER BY resource"));
        out.put("lock_waits", db.rows("SELECT seq, resource, saga_id::text, mode FROM lock_waits ORDER BY resource, seq"));
        StringBuilder text = new StringBuilder();
        out.forEach((k, v) -> text.append(k).append(": ").append(v).append('\n'));
        return text.toString();
    }
}
