package io.sagawarden.bench;

import static io.sagawarden.testing.SagaBuilder.aSaga;
import static io.sagawarden.testing.TestParticipant.delayed;
import static io.sagawarden.testing.TestParticipant.ok;

import io.sagawarden.testing.AppProcess;
import io.sagawarden.testing.Db;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.PostgresTestDatabase;
import io.sagawarden.testing.TestParticipant;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Memory benchmark (run on purpose: {@code ./mvnw verify -Pbench -Dbench=MemoryBenchmark [-Dbench.sagas=100000]
 * [-Dbench.resources=50]}): what one node's resident memory comes to with many active sagas. Every saga needs an
 * EXCLUSIVE lock on one of a few resources whose holders' calls take half an hour, so a few sagas run (fewer than
 * the node's 64 slots) and all the others wait in long queues: all of them in the lock manager, the deadlock
 * detector's wait-for graph and the gauges at once. The node runs with
 * the integration tests' JVM settings (a 384 MB heap, serial GC). Prints the node's RSS idle, its peak while the
 * sagas arrive and queue, its peak over a minute of the steady state (two deadlock sweeps, a dozen gauge
 * refreshes), the live heap after a full GC, and the CPU the node spent per queued saga.
 * {@code -Dbench.seeded=true} writes the waiting sagas into the tables instead of submitting them ({@link #SEEDED}).
 */
class MemoryBenchmark {

    static final int SAGAS = Integer.getInteger("bench.sagas", 100_000);
    static final int RESOURCES = Integer.getInteger("bench.resources", 50);
    static final int CLIENTS = 16;
    /**
     * With {@code -Dbench.seeded=true} only the lock holders are submitted, and the waiting sagas are written straight
     * into the tables, copies of a holder queued behind it, as they would stand had they queued one by one: the node
     * holds the same, and 100,000 waits are there in seconds instead of hours of one dispatcher queueing them.
     */
    static final boolean SEEDED = Boolean.getBoolean("bench.seeded");
    private static final Pattern RSS = Pattern.compile("VmRSS:\\s+(\\d+) kB");

    @Test
    void memory() throws Exception {
        String database = PostgresTestDatabase.create();
        Db db = new Db(database);
        try (TestParticipant participant = TestParticipant.start();
             AppProcess app = AppProcess.start("bench-memory", database, Map.of("quarkus.log.level", "WARN",
                     "quarkus.datasource.jdbc.max-size", "32"))) {
            participant.on("/hold", delayed(Duration.ofMinutes(30), ok()));
            List<String> sagas = new ArrayList<>();
            for (int r = 0; r < RESOURCES; r++) {
                sagas.add(aSaga().type("MemorySaga").step("hold", participant.url("/hold"))
                        .withLock("hot:" + r, "EXCLUSIVE").withActionTimeout("PT30M").json());
            }
            long idle = rssKb(app.pid());
            double cpuBefore = ProcessCpu.seconds(app.pid());

            AtomicLong peak = new AtomicLong(idle);
            var sampler = Executors.newSingleThreadScheduledExecutor();
            sampler.scheduleAtFixedRate(() -> peak.accumulateAndGet(rssKb(app.pid()), Math::max), 0, 500,
                    TimeUnit.MILLISECONDS);
            long start = System.nanoTime();
            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            List<Future<?>> sent = new ArrayList<>();
            for (int i = 0; i < (SEEDED ? RESOURCES : SAGAS); i++) {
                String saga = sagas.get(i % RESOURCES);
                sent.add(clients.submit(() -> {
                    if (app.post("/api/v1/sagas", saga).statusCode() != 201) {
                        throw new IllegalStateException("a submission was refused");
                    }
                }));
            }
            for (Future<?> f : sent) {
                f.get();
            }
            clients.shutdown();
            double submitted = (System.nanoTime() - start) / 1e9;
            if (SEEDED) {
                seedWaiters(db);
            }
            Eventually.await("all but the lock holders waiting", Duration.ofMinutes(60),
                    () -> db.count("SELECT count(*) FROM sagas WHERE status = 'WAITING'"), n -> n == SAGAS - RESOURCES,
                    Duration.ofSeconds(2));
            double queued = (System.nanoTime() - start) / 1e9;
            double cpu = ProcessCpu.seconds(app.pid()) - cpuBefore;
            long arrivalPeak = peak.getAndSet(0);
            Thread.sleep(Duration.ofSeconds(65).toMillis());
            long steadyPeak = peak.get();
            sampler.shutdownNow();
            String heap = Jcmd.run(app, "GC.run") + Jcmd.run(app, "GC.heap_info");

            System.out.printf("%n=== Memory benchmark: %,d active sagas on one node (%d running, the rest waiting in their queues) ===%n",
                    SAGAS, RESOURCES);
            System.out.printf("RSS idle after start:               %6d MB%n", idle / 1024);
            System.out.printf("RSS peak while submitting/queueing: %6d MB  (submitted in %.0f s, all queued after %.0f s)%n",
                    arrivalPeak / 1024, submitted, queued);
            System.out.printf("RSS peak, steady for 65 s:          %6d MB%n", steadyPeak / 1024);
            System.out.printf("node CPU per queued saga:           %6.2f ms%n", cpu * 1000 / SAGAS);
            System.out.printf("heap after a full GC:%n%s%n", heap.strip());
        } finally {
            PostgresTestDatabase.drop(database);
        }
    }

    /** {@code SAGAS - RESOURCES} waiting sagas, each a copy of a holder's saga queued behind it on its resource. */
    private static void seedWaiters(Db db) {
        Eventually.await("the holders to hold their locks", Duration.ofMinutes(1),
                () -> db.count("SELECT count(*) FROM resource_locks"), n -> n == RESOURCES);
        db.execute("""
                WITH holders AS (SELECT row_number() OVER (ORDER BY l.resource) - 1 AS k, l.resource, s.*
                                 FROM resource_locks l JOIN sagas s ON s.id = l.saga_id),
                     waiters AS (SELECT gen_random_uuid() AS id, i %% %2$d AS k FROM generate_series(1, %1$d) AS i),
                     sagas AS (
                         INSERT INTO sagas (id, type, status, priority, definition, payload, submitter, request_hash,
                                            next_run_at, created_at, started_at, updated_at, progress_at)
                         SELECT w.id, h.type, 'WAITING', h.priority, h.definition, h.payload, h.submitter, h.request_hash,
                                'infinity', now(), now(), now(), now()
                         FROM waiters w JOIN holders h USING (k)),
                     steps AS (
                         INSERT INTO saga_steps (saga_id, idx, name) SELECT w.id, 0, 'hold' FROM waiters w),
                     events AS (
                         INSERT INTO saga_events (saga_id, at, kind, step, detail)
                         SELECT w.id, now(), 'WAITING_FOR_LOCK', 'hold',
                                jsonb_build_object('resource', h.resource, 'mode', 'EXCLUSIVE')
                         FROM waiters w JOIN holders h USING (k))
                INSERT INTO lock_waits (resource, saga_id, mode, queued_at)
                SELECT h.resource, w.id, 'EXCLUSIVE', now() FROM waiters w JOIN holders h USING (k)""".formatted(
                SAGAS - RESOURCES, RESOURCES));
        // Vacuumed as well as analyzed: an autovacuum of the fresh rows would otherwise take a core mid-measurement.
        db.execute("VACUUM (ANALYZE) sagas, saga_steps, saga_events, lock_waits");
        db.execute("SELECT pg_notify('saga_waits', '')");
    }

    private static long rssKb(long pid) {
        try {
            Matcher m = RSS.matcher(Files.readString(Path.of("/proc", Long.toString(pid), "status")));
            return m.find() ? Long.parseLong(m.group(1)) : 0;
        } catch (IOException e) {
            return 0;
        }
    }
}
