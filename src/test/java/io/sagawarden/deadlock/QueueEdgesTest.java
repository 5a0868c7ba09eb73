package io.sagawarden.deadlock;

import static io.sagawarden.deadlock.DeadlockFixtures.SINCE;
import static org.assertj.core.api.Assertions.assertThat;

import io.sagawarden.lock.LockMode;
import io.sagawarden.lock.LockQueue;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The queue's edges are few (linear in its waits and holders) and true (each one a blocker), and through them
 * every saga reaches exactly the sagas it reaches through all its blockers: on random queues of every mode, with
 * upgrades, holders asking again for what they hold, and sagas waiting in several queues.
 */
class QueueEdgesTest {

    private static final LockMode[] MODES = LockMode.values();

    @Test
    void every_saga_reaches_through_the_queue_edges_exactly_what_it_reaches_through_all_its_blockers() {
        for (long seed = 1; seed <= 4_000; seed++) {
            Random random = new Random(seed);
            Map<String, LockQueue> queues = randomQueues(random, 2 + random.nextInt(25), 1 + random.nextInt(3));
            List<WaitEdge> all = new ArrayList<>();
            queues.forEach((resource, queue) -> all.addAll(DeadlockFixtures.edgesOf(resource, queue)));
            List<WaitEdge> few = DeadlockFixtures.queueEdges(queues);

            Set<WaitEdge> blockers = new HashSet<>(all);
            assertThat(few).as("seed %d: every queue edge is a blocker", seed).allMatch(blockers::contains);
            assertThat(reach(few)).as("seed %d, queues %s", seed, queues).isEqualTo(reach(all));
        }
    }

    @Test
    void the_waiters_nothing_blocks_are_those_without_blockers() {
        for (long seed = 1; seed <= 2_000; seed++) {
            Random random = new Random(seed);
            Map<String, LockQueue> queues = randomQueues(random, 2 + random.nextInt(12), 1 + random.nextInt(2));
            queues.forEach((resource, queue) -> {
                Set<UUID> unblocked = new HashSet<>(QueueEdges.of(resource, queue, Map.of(), e -> { }));
                Set<UUID> expected = new HashSet<>();
                queue.waiters().stream().filter(w -> queue.blockers(w.saga(), w.mode()).isEmpty())
                        .forEach(w -> expected.add(w.saga()));
                assertThat(unblocked).isEqualTo(expected);
            });
        }
    }

    @Test
    void a_long_queue_has_edges_linear_in_its_length() {
        Random random = new Random(7);
        List<LockQueue.Holder> readers = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            readers.add(new LockQueue.Holder(new UUID(1, i), LockMode.SHARED));
        }
        List<LockQueue.Waiter> waiters = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            waiters.add(new LockQueue.Waiter(i, new UUID(2, i), MODES[random.nextInt(MODES.length)], false));
        }
        LockQueue queue = new LockQueue(readers, waiters);
        List<WaitEdge> edges = new ArrayList<>();
        QueueEdges.of("r", queue, Map.of(), edges::add);

        long blockers = waiters.stream().mapToLong(w -> queue.blockers(w.saga(), w.mode()).size()).sum();
        assertThat(blockers).as("every blocker of every waiter").isGreaterThan(1_000_000);
        assertThat(edges.size()).as("edges for 1,000 holders and 2,000 waiters").isLessThan(6_000);
    }

    private static Map<String, LockQueue> randomQueues(Random random, int sagaCount, int resourceCount) {
        Map<String, List<LockQueue.Holder>> holders = new HashMap<>();
        Map<String, List<LockQueue.Waiter>> waiters = new HashMap<>();
        long seq = 0;
        for (int i = 0; i < sagaCount; i++) {
            UUID saga = new UUID(0, i);
            for (int r = 0; r < resourceCount; r++) {
                List<LockQueue.Holder> held = holders.computeIfAbsent("r" + r, k -> new ArrayList<>());
                LockMode mode = MODES[random.nextInt(MODES.length)];
                if (random.nextInt(3) == 0 && held.stream().allMatch(h -> mode.isCompatibleWith(h.mode()))) {
                    held.add(new LockQueue.Holder(saga, mode));
                }
            }
            int waits = random.nextInt(10) == 0 ? 2 : random.nextInt(4) == 0 ? 0 : 1;
            for (int k = 0; k < waits; k++) {
                String resource = "r" + random.nextInt(resourceCount);
                if (waiters.getOrDefault(resource, List.of()).stream().anyMatch(w -> w.saga().equals(saga))) {
                    continue;
                }
                boolean holds = holders.getOrDefault(resource, List.of()).stream().anyMatch(h -> h.saga().equals(saga));
                waiters.computeIfAbsent(resource, x -> new ArrayList<>()).add(new LockQueue.Waiter(seq++, saga,
                        MODES[random.nextInt(MODES.length)], holds && random.nextBoolean(), SINCE));
            }
        }
        Map<String, LockQueue> queues = new HashMap<>();
        waiters.forEach((resource, queued) -> queues.put(resource,
                new LockQueue(holders.getOrDefault(resource, List.of()), queued)));
        return queues;
    }

    /** For each saga, the sagas it reaches over one or more edges. */
    private static Map<UUID, Set<UUID>> reach(Collection<WaitEdge> edges) {
        Map<UUID, List<UUID>> out = new HashMap<>();
        edges.forEach(e -> out.computeIfAbsent(e.waiter(), k -> new ArrayList<>()).add(e.holder()));
        Map<UUID, Set<UUID>> reach = new HashMap<>();
        for (UUID start : out.keySet()) {
            Set<UUID> seen = new HashSet<>();
            Deque<UUID> todo = new ArrayDeque<>(out.get(start));
            while (!todo.isEmpty()) {
                UUID v = todo.poll();
                if (seen.add(v)) {
                    todo.addAll(out.getOrDefault(v, List.of()));
                }
            }
            reach.put(start, seen);
        }
        return reach;
    }
}
