package io.sagawarden.deadlock;

import static io.sagawarden.deadlock.DeadlockFixtures.NOW;
import static org.assertj.core.api.Assertions.assertThat;

import io.sagawarden.lock.LockMode;
import io.sagawarden.lock.LockQueue;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The victim search over lock queues (O(n) nodes and edges for n waits) decides exactly as the search over every
 * wait edge (up to n²/2 for a long queue), which the brute-force oracle of {@link DeadlockFinderPropertyTest}
 * checks: on random lock tables of every mode, upgrades and leaving sagas included.
 */
class QueueSearchPropertyTest {

    private static final LockMode[] MODES = LockMode.values();

    @Test
    void the_queue_search_takes_the_same_victims_for_the_same_reasons_as_the_edge_search() {
        int deadlocked = 0;
        for (long seed = 1; seed <= 3_000; seed++) {
            Random random = new Random(seed);
            int sagaCount = 2 + random.nextInt(10);
            int resourceCount = 1 + random.nextInt(4);
            Map<String, List<LockQueue.Holder>> holders = new HashMap<>();
            Map<String, List<LockQueue.Waiter>> waiters = new HashMap<>();
            Map<UUID, SagaNode> nodes = new HashMap<>();
            long seq = 0;
            for (int i = 0; i < sagaCount; i++) {
                UUID saga = new UUID(random.nextLong(), random.nextLong());
                int roll = random.nextInt(20);
                nodes.put(saga, new SagaNode(saga, "T", random.nextInt(3), NOW.minusSeconds(1 + random.nextInt(4)),
                        roll == 0, roll == 1));
                for (int r = 0; r < resourceCount; r++) {
                    if (random.nextInt(3) == 0) {
                        holders.computeIfAbsent("r" + r, k -> new ArrayList<>()).add(new LockQueue.Holder(saga,
                                MODES[random.nextInt(MODES.length)]));
                    }
                }
                if (random.nextInt(4) != 0) {
                    String resource = "r" + random.nextInt(resourceCount);
                    boolean holds = holders.getOrDefault(resource, List.of()).stream().anyMatch(h -> h.saga().equals(saga));
                    waiters.computeIfAbsent(resource, k -> new ArrayList<>()).add(new LockQueue.Waiter(seq++, saga,
                            holds ? LockMode.EXCLUSIVE : MODES[random.nextInt(MODES.length)], holds));
                }
            }
            Map<String, LockQueue> queues = new HashMap<>();
            for (String resource : waiters.keySet()) {
                queues.put(resource, new LockQueue(holders.getOrDefault(resource, List.of()), waiters.get(resource)));
            }
            List<WaitEdge> edges = new ArrayList<>();
            queues.forEach((resource, queue) -> edges.addAll(DeadlockFixtures.edgesOf(resource, queue)));

            List<DeadlockFinder.Resolution> byEdges = DeadlockFixtures.resolve(edges, nodes);
            List<DeadlockFinder.Resolution> byQueues = DeadlockFixtures.resolveQueues(queues, nodes);

            assertThat(summary(byQueues)).as("seed %d, queues %s", seed, queues.values()).isEqualTo(summary(byEdges));
            if (!byEdges.isEmpty()) {
                deadlocked++;
            }
        }
        assertThat(deadlocked).as("cases with a deadlock").isGreaterThan(300);
    }

    private static List<String> summary(List<DeadlockFinder.Resolution> resolutions) {
        return resolutions.stream().map(r -> r.victim().id() + " " + r.why() + " cycle " + r.cycle().size() + " spared "
                + r.spared().stream().map(s -> s.saga().id()).sorted().toList()).sorted().toList();
    }
}
