package io.sagawarden.deadlock;

import io.sagawarden.lock.LockQueue;
import java.util.ArrayDeque;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jgrapht.Graph;
import org.jgrapht.alg.connectivity.KosarajuStrongConnectivityInspector;
import org.jgrapht.graph.DirectedPseudograph;

/**
 * The wait-for graph: a vertex per saga, an edge per wait (or, from lock queues, per chain of waits: see
 * {@link QueueEdges}). Deadlocks are found as strongly connected
 * components (Kosaraju, O(V+E), without recursion per vertex): a component of two or more sagas, or a saga
 * with an edge to itself, is a deadlocked group. The JGraphT graph holds the {@link CyclicCore} of the waits
 * only, since nothing outside it can be on a cycle. All simple cycles are never enumerated (exponential); a
 * report names the shortest cycle through its victim.
 */
public final class WaitForGraph {

    private final List<WaitEdge> edges;
    /** The queues the edges come from, by resource; empty for a graph given as edges only. */
    private final Map<String, LockQueue> queues;
    /** With queues: the resources each saga waits for, and its waits on them as every blocker gives them. */
    private final Map<UUID, List<String>> waitsFor = new HashMap<>();
    private final Map<UUID, List<WaitEdge>> blockedBy = new HashMap<>();
    private final Graph<UUID, WaitEdge> core = new DirectedPseudograph<>(null, null, false);
    private List<Set<UUID>> deadlockedGroups;

    public WaitForGraph(Collection<WaitEdge> edges) {
        this(edges, Map.of());
    }

    /**
     * The edges of the queues ({@link QueueEdges}: every saga reaches the sagas it waits for, directly or not),
     * and the queues, which the search inside a deadlocked group reads its sagas' blockers from.
     */
    public WaitForGraph(Collection<WaitEdge> edges, Map<String, LockQueue> queues) {
        this.queues = queues;
        this.edges = List.copyOf(edges);
        queues.forEach((resource, queue) -> queue.waiters().forEach(w ->
                waitsFor.computeIfAbsent(w.saga(), k -> new ArrayList<>(1)).add(resource)));
        for (WaitEdge e : CyclicCore.of(this.edges)) {
            core.addVertex(e.waiter());
            core.addVertex(e.holder());
            core.addEdge(e.waiter(), e.holder(), e);
        }
    }

    public int edgeCount() {
        return edges.size();
    }

    /** Every saga that waits or is waited for. */
    public Set<UUID> sagas() {
        Set<UUID> sagas = new HashSet<>();
        for (WaitEdge e : edges) {
            sagas.add(e.waiter());
            sagas.add(e.holder());
        }
        return sagas;
    }

    public List<WaitEdge> edges() {
        return edges;
    }

    /** The deadlocked groups of the whole graph, found once. */
    public List<Set<UUID>> deadlockedGroups() {
        if (deadlockedGroups == null) {
            deadlockedGroups = deadlockedGroups(core);
        }
        return deadlockedGroups;
    }

    /**
     * The deadlocked groups that remain inside {@code group} once {@code removed} sagas have left it: the group's
     * own edges, peeled to their core again (one victim usually turns a big cycle into chains), searched anew.
     */
    public List<Set<UUID>> deadlockedGroupsWithout(Set<UUID> group, Set<UUID> removed) {
        List<WaitEdge> rest = new ArrayList<>();
        for (UUID saga : group) {
            if (!removed.contains(saga)) {
                for (WaitEdge e : waitsOf(saga)) {
                    if (group.contains(e.holder()) && !removed.contains(e.holder())) {
                        rest.add(e);
                    }
                }
            }
        }
        return new WaitForGraph(rest).deadlockedGroups();
    }

    /** The search for the victims of one deadlocked group. */
    VictimSearch victimSearch(Set<UUID> group) {
        if (queues.isEmpty()) {
            return VictimSearch.ofEdges(group, this::holdersOf);
        }
        Set<String> waitedFor = new HashSet<>();
        for (UUID saga : group) {
            waitedFor.addAll(waitsFor.getOrDefault(saga, List.of()));
        }
        return VictimSearch.ofQueues(group, waitedFor.stream().map(queues::get).toList());
    }

    /** The sagas {@code saga} waits for in the cyclic core (one per edge, so possibly repeated). */
    public List<UUID> holdersOf(UUID saga) {
        if (!core.containsVertex(saga)) {
            return List.of();
        }
        List<UUID> holders = new ArrayList<>();
        for (WaitEdge e : core.outgoingEdgesOf(saga)) {
            holders.add(e.holder());
        }
        return holders;
    }

    /**
     * The shortest cycle through {@code saga} inside {@code group} (breadth first), as the edges from the saga
     * round to itself; empty when it sits on no cycle there.
     */
    public Optional<List<WaitEdge>> shortestCycleThrough(UUID saga, Set<UUID> group) {
        Map<UUID, WaitEdge> reachedBy = new HashMap<>();
        Deque<UUID> frontier = new ArrayDeque<>();
        frontier.add(saga);
        while (!frontier.isEmpty()) {
            UUID current = frontier.poll();
            for (WaitEdge edge : waitsOf(current)) {
                UUID next = edge.holder();
                if (!group.contains(next)) {
                    continue;
                }
                if (next.equals(saga)) {
                    List<WaitEdge> cycle = new ArrayList<>();
                    cycle.add(edge);
                    for (UUID at = current; !at.equals(saga); at = reachedBy.get(at).waiter()) {
                        cycle.add(reachedBy.get(at));
                    }
                    Collections.reverse(cycle);
                    return Optional.of(cycle);
                }
                if (!reachedBy.containsKey(next) && !next.equals(saga)) {
                    reachedBy.put(next, edge);
                    frontier.add(next);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Every wait of a saga of a deadlocked group: with queues, one edge per blocker, since taking sagas out of the
     * group breaks the chains that stand for several blockers; without, its edges in the cyclic core.
     */
    private Collection<WaitEdge> waitsOf(UUID saga) {
        if (queues.isEmpty()) {
            return core.containsVertex(saga) ? core.outgoingEdgesOf(saga) : List.of();
        }
        return blockedBy.computeIfAbsent(saga, s -> {
            Instant since = core.containsVertex(s) ? core.outgoingEdgesOf(s).stream().findFirst()
                    .map(WaitEdge::waitingSince).orElse(null) : null;
            List<WaitEdge> waits = new ArrayList<>();
            for (String resource : waitsFor.getOrDefault(s, List.of())) {
                LockQueue queue = queues.get(resource);
                for (LockQueue.Waiter w : queue.waiters()) {
                    if (w.saga().equals(s)) {
                        queue.blockers(s, w.mode()).forEach(b -> waits.add(
                                new WaitEdge(s, b.saga(), resource, w.mode(), b.mode(), b.kind(), since)));
                    }
                }
            }
            return waits;
        });
    }

    private static List<Set<UUID>> deadlockedGroups(Graph<UUID, WaitEdge> g) {
        List<Set<UUID>> groups = new ArrayList<>();
        for (Set<UUID> component : new KosarajuStrongConnectivityInspector<>(g).stronglyConnectedSets()) {
            if (component.size() > 1 || hasSelfLoop(g, component.iterator().next())) {
                groups.add(component);
            }
        }
        return groups;
    }

    private static boolean hasSelfLoop(Graph<UUID, WaitEdge> g, UUID saga) {
        return g.getAllEdges(saga, saga) != null && !g.getAllEdges(saga, saga).isEmpty();
    }
}
