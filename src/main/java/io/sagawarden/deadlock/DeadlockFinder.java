package io.sagawarden.deadlock;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Finds every deadlock in a wait-for graph and picks a minimal set of victims. In each deadlocked group the
 * policy chooses a victim, takes it out, looks at what remains and repeats until no cycle is left (k sagas all
 * upgrading one resource need k−1 victims). Greedy choice can take a victim that a later one makes needless, so
 * the choices are then checked in reverse order and every victim whose abort the others make unnecessary is
 * spared: no victim of the result can be spared, and without them the group is acyclic. Plain Java over
 * {@link WaitForGraph}, with the search inside a group in {@link VictimSearch}.
 */
public final class DeadlockFinder {

    /**
     * One victim and the cycle it breaks, as the report will tell it. {@code spared}: sagas of its group that the
     * policy chose first but that need not give way, because this round's victims break every cycle they were on.
     */
    public record Resolution(SagaNode victim, String why, List<WaitEdge> cycle, List<Spared> spared) {
    }

    /** A saga the policy chose first and then spared, because aborting {@code brokenBy} breaks its cycles. */
    public record Spared(SagaNode saga, List<UUID> brokenBy) {
    }

    private DeadlockFinder() {
    }

    /** {@code nodes} must describe every saga of every deadlocked group. */
    public static List<Resolution> resolve(WaitForGraph graph, Map<UUID, SagaNode> nodes, Instant now) {
        Set<UUID> leaving = new HashSet<>();
        nodes.values().stream().filter(n -> !n.mayBeVictim()).forEach(n -> leaving.add(n.id()));
        List<Resolution> resolutions = new ArrayList<>();
        for (Set<UUID> deadlocked : graph.deadlockedGroups()) {
            List<Set<UUID>> groups = deadlocked.stream().noneMatch(leaving::contains) ? List.of(deadlocked)
                    : graph.deadlockedGroupsWithout(deadlocked, leaving);
            for (Set<UUID> group : groups) {
                resolutions.addAll(resolveGroup(graph, group, nodes, now));
            }
        }
        return resolutions;
    }

    private static List<Resolution> resolveGroup(WaitForGraph graph, Set<UUID> group, Map<UUID, SagaNode> nodes,
                                                 Instant now) {
        VictimSearch search = graph.victimSearch(group);
        List<UUID> policyOrder = VictimPolicy.mostExpendableFirst(group.stream().map(nodes::get).toList()).stream()
                .map(SagaNode::id).toList();
        List<VictimSearch.Taken> chosen = search.takeInOrder(policyOrder);
        List<UUID> kept = new ArrayList<>(chosen.stream().map(VictimSearch.Taken::saga).toList());
        List<SagaNode> spared = new ArrayList<>();
        for (VictimSearch.Taken candidate : chosen.reversed()) {
            List<UUID> others = kept.stream().filter(k -> !k.equals(candidate.saga())).toList();
            // Without the other victims a cycle through the candidate remains exactly when it is needed: without
            // all of them the group is acyclic, so any cycle left runs through it.
            if (!search.onCycleWithout(candidate.saga(), others)) {
                kept.remove(candidate.saga());
                spared.addFirst(nodes.get(candidate.saga()));
            }
        }
        List<Spared> sparing = spared.stream().map(s -> new Spared(s, List.copyOf(kept))).toList();
        List<Resolution> resolutions = new ArrayList<>();
        Set<UUID> earlier = new HashSet<>();
        for (VictimSearch.Taken taken : chosen) {
            if (!kept.contains(taken.saga())) {
                continue;
            }
            UUID victim = taken.saga();
            VictimPolicy.Choice choice = VictimPolicy.choose(taken.component().stream().map(nodes::get).toList(), now)
                    .orElseThrow();
            Set<UUID> rest = new LinkedHashSet<>(group);
            rest.removeAll(earlier);
            List<WaitEdge> cycle = graph.shortestCycleThrough(victim, rest).orElseThrow(() ->
                    new IllegalStateException("saga " + victim + " is a victim of its group but on no cycle"));
            resolutions.add(new Resolution(choice.victim(), choice.why(), cycle, earlier.isEmpty() ? sparing : List.of()));
            earlier.add(victim);
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
