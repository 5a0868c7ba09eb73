package io.sagawarden.deadlock;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jgrapht.Graph;
import org.jgrapht.alg.connectivity.KosarajuStrongConnectivityInspector;
import org.jgrapht.graph.AsSubgraph;
import org.jgrapht.graph.DirectedPseudograph;

/**
 * The wait-for graph: a vertex per saga, an edge per wait. Deadlocks are found as strongly connected
 * components (Kosaraju, O(V+E), without recursion per vertex): a component of two or more sagas, or a saga
 * with an edge to itself, is a deadlocked group. All simple cycles are never enumerated (exponential); a
 * report names the shortest cycle through its victim.
 */
public final class WaitForGraph {

    private final Graph<UUID, WaitEdge> graph = new DirectedPseudograph<>(null, null, false);

    public WaitForGraph(Collection<WaitEdge> edges) {
        for (WaitEdge e : edges) {
            graph.addVertex(e.waiter());
            graph.addVertex(e.holder());
            graph.addEdge(e.waiter(), e.holder(), e);
        }
    }

    public int vertexCount() {
        return graph.vertexSet().size();
    }

    public int edgeCount() {
        return graph.edgeSet().size();
    }

    public Set<UUID> sagas() {
        return graph.vertexSet();
    }

    public Set<WaitEdge> edges() {
        return graph.edgeSet();
    }

    /** The deadlocked groups of the whole graph. */
    public List<Set<UUID>> deadlockedGroups() {
        return deadlockedGroups(graph);
    }

    /** The deadlocked groups that remain inside {@code group} once {@code removed} sagas have left it. */
    public List<Set<UUID>> deadlockedGroupsWithout(Set<UUID> group, Set<UUID> removed) {
        Set<UUID> rest = new java.util.HashSet<>(group);
        rest.removeAll(removed);
        return deadlockedGroups(new AsSubgraph<>(graph, rest));
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
            for (WaitEdge edge : graph.outgoingEdgesOf(current)) {
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
                    java.util.Collections.reverse(cycle);
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
