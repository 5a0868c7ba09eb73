package io.sagawarden.deadlock;

import static io.sagawarden.deadlock.DeadlockFixtures.NOW;
import static io.sagawarden.deadlock.DeadlockFixtures.acyclic;
import static io.sagawarden.deadlock.DeadlockFixtures.assertIsCycleThrough;
import static io.sagawarden.deadlock.DeadlockFixtures.hard;
import static io.sagawarden.deadlock.DeadlockFixtures.id;
import static io.sagawarden.deadlock.DeadlockFixtures.node;
import static org.assertj.core.api.Assertions.assertThat;

import io.sagawarden.lock.LockMode;
import io.sagawarden.lock.LockQueue;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Detection stays linear and iterative: long chains and one huge cycle, no StackOverflowError. */
class LargeGraphTest {

    private static List<WaitEdge> chain(int n) {
        List<WaitEdge> edges = new ArrayList<>(n);
        for (int i = 0; i + 1 < n; i++) {
            edges.add(hard(id(i), id(i + 1), "r" + (i + 1)));
        }
        return edges;
    }

    private static List<WaitEdge> ring(int n) {
        List<WaitEdge> edges = chain(n);
        edges.add(hard(id(n - 1), id(0), "r0"));
        return edges;
    }

    /** Priorities 1..7 round the ring, but one saga has priority 0. */
    private static Map<UUID, SagaNode> nodes(int n, int lowest) {
        Map<UUID, SagaNode> nodes = new HashMap<>(n * 2);
        for (int i = 0; i < n; i++) {
            nodes.put(id(i), node(id(i), i == lowest ? 0 : i % 7 + 1));
        }
        return nodes;
    }

    private static void assertNoDeadlock(int n) {
        List<WaitEdge> edges = chain(n);
        WaitForGraph graph = new WaitForGraph(edges);
        assertThat(graph.sagas()).hasSize(n);
        assertThat(graph.edgeCount()).isEqualTo(n - 1);
        assertThat(graph.deadlockedGroups()).isEmpty();
        assertThat(DeadlockFinder.sagasInDeadlockedGroups(graph)).isEmpty();
        assertThat(DeadlockFinder.resolve(graph, Map.of(), NOW)).isEmpty();
    }

    private static void assertOneVictim(int n, int lowest) {
        List<WaitEdge> edges = ring(n);
        WaitForGraph graph = new WaitForGraph(edges);
        assertThat(DeadlockFinder.sagasInDeadlockedGroups(graph)).hasSize(n);

        List<DeadlockFinder.Resolution> resolutions = DeadlockFinder.resolve(graph, nodes(n, lowest), NOW);

        assertThat(resolutions).hasSize(1);
        DeadlockFinder.Resolution r = resolutions.getFirst();
        assertThat(r.victim().id()).isEqualTo(id(lowest));
        assertThat(r.why()).isEqualTo("lowest priority (0) in the cycle");
        assertThat(r.cycle()).hasSize(n);
        assertIsCycleThrough(r.cycle(), id(lowest), edges);
        assertThat(acyclic(edges, Set.of(id(lowest)))).isTrue();
    }

    /** Runs on a fresh platform thread with the given stack size (0 = the JVM's default) and rethrows. */
    private static void onThread(long stackSize, Runnable body) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(null, () -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "large-graph-" + stackSize, stackSize);
        t.start();
        t.join();
        if (failure.get() instanceof Error err) {
            throw err;
        }
        if (failure.get() instanceof RuntimeException e) {
            throw e;
        }
        assertThat(failure.get()).isNull();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void a_chain_of_100_000_sagas_is_no_deadlock() {
        assertNoDeadlock(100_000);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void the_same_chain_closed_into_one_cycle_costs_exactly_one_victim() {
        assertOneVictim(100_000, 77_777);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void a_chain_and_a_ring_of_20_000_sagas_on_a_default_stack() throws InterruptedException {
        onThread(0, () -> {
            assertNoDeadlock(20_000);
            assertOneVictim(20_000, 12_345);
        });
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void a_ring_of_100_000_sagas_on_a_small_stack() throws InterruptedException {
        // 256 KiB holds a few thousand frames at most: passing here means nothing recurses per saga.
        onThread(256 * 1024, () -> assertOneVictim(100_000, 3));
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void a_hundred_readers_all_upgrading_one_resource_need_99_victims() {
        int k = 100;
        List<LockQueue.Holder> holders = new ArrayList<>();
        List<LockQueue.Waiter> upgrades = new ArrayList<>();
        Map<UUID, SagaNode> nodes = new HashMap<>();
        for (int i = 0; i < k; i++) {
            holders.add(new LockQueue.Holder(id(i), LockMode.SHARED));
            upgrades.add(new LockQueue.Waiter(i, id(i), LockMode.EXCLUSIVE, true));
            nodes.put(id(i), node(id(i), (i * 37) % k)); // a permutation of priorities 0..99
        }
        List<WaitEdge> edges = DeadlockFixtures.edgesOf("sku:hot", new LockQueue(holders, upgrades));
        assertThat(edges).hasSize(k * (k - 1) + k * (k - 1) / 2);

        List<DeadlockFinder.Resolution> resolutions = DeadlockFixtures.resolve(edges, nodes);

        assertThat(resolutions).hasSize(k - 1);
        assertThat(resolutions).extracting(r -> r.victim().priority())
                .containsExactlyElementsOf(java.util.stream.IntStream.range(0, k - 1).boxed().toList());
        Set<UUID> victims = new java.util.HashSet<>(DeadlockFixtures.victims(resolutions));
        assertThat(nodes.values()).filteredOn(n -> !victims.contains(n.id()))
                .singleElement().extracting(SagaNode::priority).isEqualTo(k - 1);
        assertThat(acyclic(edges, victims)).isTrue();
    }

    /**
     * Four sagas each hold one hot account and queue for the next, a ring, behind long queues of newer sagas that
     * hold nothing. The policy reaches the newer waiters first, and each of them is on a cycle through its queue;
     * aborting any of them breaks nothing the holders' ring does not keep. One holder gives way, all others are spared.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void a_ring_of_holders_behind_long_queues_of_newer_sagas_costs_one_victim() {
        int accounts = 4;
        int queued = 300;
        Map<String, LockQueue> queues = new HashMap<>();
        Map<UUID, SagaNode> nodes = new HashMap<>();
        for (int a = 0; a < accounts; a++) {
            UUID holder = id(a);
            nodes.put(holder, node(holder, 0, NOW.minusSeconds(600 - a)));
            List<LockQueue.Waiter> queue = new ArrayList<>();
            for (int w = 0; w < queued; w++) {
                UUID waiter = id(10_000 + a * queued + w);
                nodes.put(waiter, node(waiter, 0, NOW.minusSeconds(60).plusMillis(a * queued + w)));
                queue.add(new LockQueue.Waiter(w, waiter, LockMode.EXCLUSIVE, false));
            }
            queue.add(new LockQueue.Waiter(queued, id((a + accounts - 1) % accounts), LockMode.EXCLUSIVE, false));
            queues.put("account:" + a, new LockQueue(List.of(new LockQueue.Holder(holder, LockMode.EXCLUSIVE)), queue));
        }

        List<DeadlockFinder.Resolution> resolutions = DeadlockFixtures.resolveQueues(queues, nodes);

        assertThat(resolutions).singleElement().satisfies(r -> {
            assertThat(r.victim().id()).as("the newest holder").isEqualTo(id(accounts - 1));
            assertThat(r.spared()).hasSize(accounts * queued);
        });
    }
}
