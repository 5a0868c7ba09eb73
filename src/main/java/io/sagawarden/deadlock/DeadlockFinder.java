package io.sagawarden.deadlock;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Finds every deadlock in a wait-for graph and picks a minimal set of victims. In each deadlocked group the
 * policy chooses a victim, takes it out, looks at what remains and repeats until no cycle is left (k sagas all
 * upgrading one resource need k−1 victims). Greedy choice can take a victim that a later one makes needless, so
 * the choices are then checked in reverse order and every victim whose abort the others make unnecessary is
 * spared: no victim of the result can be spared, and without them the group is acyclic. Plain Java over
 * {@link WaitForGraph}.
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

    private record Choice(SagaNode victim, String why) {
    }

    private DeadlockFinder() {
    }

    /** {@code nodes} must describe every saga of every deadlocked group. */
    public static List<Resolution> resolve(WaitForGraph graph, Map<UUID, SagaNode> nodes, Instant now) {
        Set<UUID> leaving = new HashSet<>();
        nodes.values().stream().filter(n -> !n.mayBeVictim()).forEach(n -> leaving.add(n.id()));
        List<Resolution> resolutions = new ArrayList<>();
        for (Set<UUID> deadlocked : graph.deadlockedGroups()) {
            for (Set<UUID> group : graph.deadlockedGroupsWithout(deadlocked, leaving)) {
                resolutions.addAll(resolveGroup(graph, group, nodes, now));
            }
        }
        return resolutions;
    }

    private static List<Resolution> resolveGroup(WaitForGraph graph, Set<UUID> group, Map<UUID, SagaNode> nodes,
                                                 Instant now) {
        List<Choice> chosen = chooseGreedily(graph, group, nodes, now);
        List<Choice> kept = new ArrayList<>(chosen);
        List<SagaNode> spared = new ArrayList<>();
        for (int i = chosen.size() - 1; i >= 0; i--) {
            Choice candidate = chosen.get(i);
            Set<UUID> others = new HashSet<>();
            kept.stream().filter(c -> c != candidate).forEach(c -> others.add(c.victim().id()));
            if (graph.deadlockedGroupsWithout(group, others).isEmpty()) {
                kept.remove(candidate);
                spared.addFirst(candidate.victim());
            }
        }
        List<UUID> victims = kept.stream().map(c -> c.victim().id()).toList();
        List<Spared> sparing = spared.stream().map(s -> new Spared(s, victims)).toList();
        List<Resolution> resolutions = new ArrayList<>();
        Set<UUID> earlier = new HashSet<>();
        for (Choice choice : kept) {
            UUID victim = choice.victim().id();
            Set<UUID> rest = new LinkedHashSet<>(group);
            rest.removeAll(earlier);
            List<WaitEdge> cycle = graph.shortestCycleThrough(victim, rest).orElseThrow(() ->
                    new IllegalStateException("saga " + victim + " is a victim of its group but on no cycle"));
            resolutions.add(new Resolution(choice.victim(), choice.why(), cycle, earlier.isEmpty() ? sparing : List.of()));
            earlier.add(victim);
        }
        return resolutions;
    }

    /** Victims in policy order: the most expendable of each group left, until no group is left. */
    private static List<Choice> chooseGreedily(WaitForGraph graph, Set<UUID> group, Map<UUID, SagaNode> nodes,
                                               Instant now) {
        List<Choice> chosen = new ArrayList<>();
        Deque<Set<UUID>> pending = new ArrayDeque<>(List.of(group));
        while (!pending.isEmpty()) {
            Set<UUID> remaining = pending.poll();
            Optional<VictimPolicy.Choice> choice = VictimPolicy.choose(remaining.stream().map(nodes::get).toList(), now);
            if (choice.isEmpty()) {
                continue;
            }
            SagaNode victim = choice.get().victim();
            chosen.add(new Choice(victim, choice.get().why()));
            pending.addAll(graph.deadlockedGroupsWithout(remaining, Set.of(victim.id())));
        }
        return chosen;
    }

    /** The sagas that must be described for {@link #resolve}: those in deadlocked groups. */
    public static Set<UUID> sagasInDeadlockedGroups(WaitForGraph graph) {
        Set<UUID> ids = new HashSet<>();
        graph.deadlockedGroups().forEach(ids::addAll);
        return ids;
    }
}
