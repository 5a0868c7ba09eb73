package io.sagawarden.deadlock;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Finds every deadlock in a wait-for graph and picks its victims: in each deadlocked group, choose a victim,
 * take it out, look at what remains of the group, and repeat until no cycle is left (k sagas all upgrading
 * one resource need k−1 victims). Plain Java over {@link WaitForGraph}.
 */
public final class DeadlockFinder {

    /** One victim and the cycle it breaks, as the report will tell it. */
    public record Resolution(SagaNode victim, String why, List<WaitEdge> cycle) {
    }

    private DeadlockFinder() {
    }

    /** {@code nodes} must describe every saga of every deadlocked group. */
    public static List<Resolution> resolve(WaitForGraph graph, Map<UUID, SagaNode> nodes, Instant now) {
        List<Resolution> resolutions = new ArrayList<>();
        Set<UUID> leaving = new HashSet<>();
        nodes.values().stream().filter(n -> !n.mayBeVictim()).forEach(n -> leaving.add(n.id()));
        Deque<Set<UUID>> pending = new ArrayDeque<>();
        for (Set<UUID> group : graph.deadlockedGroups()) {
            pending.addAll(graph.deadlockedGroupsWithout(group, leaving));
        }
        while (!pending.isEmpty()) {
            Set<UUID> group = pending.poll();
            Optional<VictimPolicy.Choice> choice = VictimPolicy.choose(group.stream().map(nodes::get).toList(), now);
            if (choice.isEmpty()) {
                continue;
            }
            SagaNode victim = choice.get().victim();
            List<WaitEdge> cycle = graph.shortestCycleThrough(victim.id(), group).orElseThrow(() ->
                    new IllegalStateException("saga " + victim.id() + " is in a deadlocked group but on no cycle"));
            resolutions.add(new Resolution(victim, choice.get().why(), cycle));
            pending.addAll(graph.deadlockedGroupsWithout(group, Set.of(victim.id())));
        }
        return resolutions;
    }

    /** The sagas that must be described for {@link #resolve}: those in deadlocked groups. */
    public static Set<UUID> sagasInDeadlockedGroups(WaitForGraph graph) {
        Set<UUID> ids = new HashSet<>();
        graph.deadlockedGroups().forEach(ids::addAll);
        return ids;
    }
}
