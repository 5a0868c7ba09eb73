package io.sagawarden.deadlock;

import static org.assertj.core.api.Assertions.assertThat;

import io.sagawarden.lock.LockMode;
import io.sagawarden.lock.LockQueue;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Builders and a brute-force oracle for the plain-Java deadlock tests: wait edges, saga nodes, edges derived
 * from {@link LockQueue} exactly as {@code DeadlockStore.edges()} derives them, and acyclicity / reachability
 * computed without JGraphT.
 */
final class DeadlockFixtures {

    static final Instant NOW = Instant.parse("2025-01-01T12:00:00Z");
    static final Instant SINCE = Instant.parse("2025-01-01T11:59:00Z");

    private DeadlockFixtures() {
    }

    /** 00000000-0000-0000-0000-00000000000a for 10. */
    static UUID id(long n) {
        return new UUID(0, n);
    }

    static WaitEdge hard(UUID waiter, UUID holder, String resource) {
        return new WaitEdge(waiter, holder, resource, LockMode.EXCLUSIVE, LockMode.EXCLUSIVE, LockQueue.Kind.HARD, SINCE);
    }

    static WaitEdge soft(UUID waiter, UUID holder, String resource) {
        return new WaitEdge(waiter, holder, resource, LockMode.EXCLUSIVE, LockMode.EXCLUSIVE, LockQueue.Kind.SOFT, SINCE);
    }

    static SagaNode node(UUID id, int priority, Instant startedAt) {
        return new SagaNode(id, "TestSaga", priority, startedAt, false, false);
    }

    static SagaNode node(UUID id, int priority) {
        return node(id, priority, NOW.minusSeconds(60));
    }

    static SagaNode compensating(UUID id, int priority) {
        return new SagaNode(id, "TestSaga", priority, NOW.minusSeconds(60), true, false);
    }

    static SagaNode abortPending(UUID id, int priority) {
        return new SagaNode(id, "TestSaga", priority, NOW.minusSeconds(60), false, true);
    }

    static Map<UUID, SagaNode> nodes(SagaNode... nodes) {
        return List.of(nodes).stream().collect(Collectors.toMap(SagaNode::id, Function.identity()));
    }

    /** The edges of one resource's queue, every waiter to each of its blockers. */
    static List<WaitEdge> edgesOf(String resource, LockQueue queue) {
        List<WaitEdge> edges = new ArrayList<>();
        for (LockQueue.Waiter w : queue.waiters()) {
            for (LockQueue.Blocker b : queue.blockers(w.saga(), w.mode())) {
                edges.add(new WaitEdge(w.saga(), b.saga(), resource, w.mode(), b.mode(), b.kind(), SINCE));
            }
        }
        return edges;
    }

    /**
     * Resolves like the detector does: only the sagas of deadlocked groups are described to the finder (so a
     * finder that needed any other saga would fail here).
     */
    static List<DeadlockFinder.Resolution> resolve(Collection<WaitEdge> edges, Map<UUID, SagaNode> all) {
        return resolve(new WaitForGraph(edges), all);
    }

    /** Resolves over lock queues, as the detector does: the edges derived as the store derives them, and the queues. */
    static List<DeadlockFinder.Resolution> resolveQueues(Map<String, LockQueue> queues, Map<UUID, SagaNode> all) {
        return resolve(new WaitForGraph(queueEdges(queues), queues), all);
    }

    /** The edges of the queues as the detector's store derives them: linear in the waits ({@link QueueEdges}). */
    static List<WaitEdge> queueEdges(Map<String, LockQueue> queues) {
        List<WaitEdge> edges = new ArrayList<>();
        Map<UUID, Instant> since = new HashMap<>();
        queues.values().forEach(q -> q.waiters().forEach(w -> since.put(w.saga(), SINCE)));
        queues.forEach((resource, queue) -> QueueEdges.of(resource, queue, since, edges::add));
        return edges;
    }

    private static List<DeadlockFinder.Resolution> resolve(WaitForGraph graph, Map<UUID, SagaNode> all) {
        Map<UUID, SagaNode> described = new HashMap<>();
        for (UUID saga : DeadlockFinder.sagasInDeadlockedGroups(graph)) {
            assertThat(all).as("test set-up describes saga %s", saga).containsKey(saga);
            described.put(saga, all.get(saga));
        }
        return DeadlockFinder.resolve(graph, described, NOW);
    }

    static List<UUID> victims(List<DeadlockFinder.Resolution> resolutions) {
        return resolutions.stream().map(r -> r.victim().id()).toList();
    }

    // ---- brute-force oracle (no JGraphT) ----

    /** Acyclic iff repeatedly peeling off vertices without outgoing edges (inside {@code vertices}) empties it. */
    static boolean acyclic(Collection<WaitEdge> edges, Set<UUID> removed) {
        Map<UUID, Integer> outDegree = new HashMap<>();
        Map<UUID, List<UUID>> waitersOf = new HashMap<>();
        for (WaitEdge e : edges) {
            outDegree.putIfAbsent(e.waiter(), 0);
            outDegree.putIfAbsent(e.holder(), 0);
        }
        removed.forEach(outDegree::remove);
        for (WaitEdge e : edges) {
            if (outDegree.containsKey(e.waiter()) && outDegree.containsKey(e.holder())) {
                outDegree.merge(e.waiter(), 1, Integer::sum);
                waitersOf.computeIfAbsent(e.holder(), k -> new ArrayList<>()).add(e.waiter());
            }
        }
        Deque<UUID> free = new ArrayDeque<>();
        outDegree.forEach((v, d) -> {
            if (d == 0) {
                free.add(v);
            }
        });
        int peeled = 0;
        while (!free.isEmpty()) {
            UUID v = free.poll();
            peeled++;
            for (UUID w : waitersOf.getOrDefault(v, List.of())) {
                if (outDegree.merge(w, -1, Integer::sum) == 0) {
                    free.add(w);
                }
            }
        }
        return peeled == outDegree.size();
    }

    /** True when {@code saga} can reach itself over edges that stay outside {@code removed}. */
    static boolean onCycle(UUID saga, Collection<WaitEdge> edges, Set<UUID> removed) {
        if (removed.contains(saga)) {
            return false;
        }
        Map<UUID, List<UUID>> out = new HashMap<>();
        for (WaitEdge e : edges) {
            if (!removed.contains(e.waiter()) && !removed.contains(e.holder())) {
                out.computeIfAbsent(e.waiter(), k -> new ArrayList<>()).add(e.holder());
            }
        }
        Set<UUID> seen = new HashSet<>();
        Deque<UUID> todo = new ArrayDeque<>(out.getOrDefault(saga, List.of()));
        while (!todo.isEmpty()) {
            UUID v = todo.poll();
            if (v.equals(saga)) {
                return true;
            }
            if (seen.add(v)) {
                todo.addAll(out.getOrDefault(v, List.of()));
            }
        }
        return false;
    }

    /** The sagas that sit on some cycle, after {@code removed} have left. */
    static Set<UUID> sagasOnCycles(Collection<WaitEdge> edges, Set<UUID> removed) {
        Set<UUID> all = new HashSet<>();
        edges.forEach(e -> {
            all.add(e.waiter());
            all.add(e.holder());
        });
        return all.stream().filter(v -> onCycle(v, edges, removed)).collect(Collectors.toSet());
    }

    /** A real cycle: edges of the graph, chained waiter to holder, from the victim round to the victim. */
    static void assertIsCycleThrough(List<WaitEdge> cycle, UUID victim, Collection<WaitEdge> graphEdges) {
        assertThat(cycle).as("cycle").isNotEmpty();
        assertThat(cycle.getFirst().waiter()).as("cycle starts at the victim").isEqualTo(victim);
        assertThat(cycle.getLast().holder()).as("cycle ends at the victim").isEqualTo(victim);
        for (int i = 0; i + 1 < cycle.size(); i++) {
            if (!cycle.get(i).holder().equals(cycle.get(i + 1).waiter())) {
                assertThat(cycle.get(i).holder()).as("edge %d chains into edge %d", i, i + 1)
                        .isEqualTo(cycle.get(i + 1).waiter());
            }
        }
        Set<WaitEdge> inGraph = new HashSet<>(graphEdges);
        assertThat(cycle.stream().filter(e -> !inGraph.contains(e)).toList())
                .as("cycle edges that are not edges of the graph").isEmpty();
        Set<UUID> waiters = cycle.stream().map(WaitEdge::waiter).collect(Collectors.toSet());
        assertThat(waiters).as("a simple cycle visits each saga once").hasSize(cycle.size());
    }
}
