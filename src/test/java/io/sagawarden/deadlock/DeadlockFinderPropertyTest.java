package io.sagawarden.deadlock;

import static io.sagawarden.deadlock.DeadlockFixtures.NOW;
import static io.sagawarden.deadlock.DeadlockFixtures.SINCE;
import static io.sagawarden.deadlock.DeadlockFixtures.acyclic;
import static io.sagawarden.deadlock.DeadlockFixtures.assertIsCycleThrough;
import static io.sagawarden.deadlock.DeadlockFixtures.onCycle;
import static io.sagawarden.deadlock.DeadlockFixtures.resolve;
import static io.sagawarden.deadlock.DeadlockFixtures.sagasOnCycles;
import static io.sagawarden.deadlock.DeadlockFixtures.victims;
import static org.assertj.core.api.Assertions.assertThat;

import io.sagawarden.lock.LockMode;
import io.sagawarden.lock.LockQueue;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Random wait-for multigraphs of 2..12 sagas against a brute-force oracle. A failure names its seed; to replay
 * one, set {@link #FIRST_SEED} to it and {@link #GRAPHS} to 1.
 */
class DeadlockFinderPropertyTest {

    private static final long FIRST_SEED = 20_250_101L;
    private static final int GRAPHS = 2_000;

    /** The victim policy, written out independently: lowest priority, latest start, highest id as text. */
    private static final Comparator<SagaNode> ORACLE_ORDER = Comparator.comparingInt(SagaNode::priority)
            .thenComparing(SagaNode::startedAt, Comparator.reverseOrder())
            .thenComparing(n -> n.id().toString(), Comparator.reverseOrder());

    private record Case(List<WaitEdge> edges, Map<UUID, SagaNode> nodes) {
    }

    private static Case randomCase(Random rnd) {
        int n = 2 + rnd.nextInt(11);
        List<UUID> ids = new ArrayList<>();
        Map<UUID, SagaNode> nodes = new HashMap<>();
        for (int i = 0; i < n; i++) {
            // Random UUIDs: their text order and UUID.compareTo disagree often, which the id tie-break must not mind.
            UUID id = new UUID(rnd.nextLong(), rnd.nextLong());
            ids.add(id);
            int roll = rnd.nextInt(20);
            nodes.put(id, new SagaNode(id, "T" + rnd.nextInt(3), rnd.nextInt(4), NOW.minusSeconds(1 + rnd.nextInt(5)),
                    roll == 0 || roll == 1, roll == 2));
        }
        int m = rnd.nextInt(3 * n + 1);
        List<WaitEdge> edges = new ArrayList<>();
        for (int i = 0; i < m; i++) {
            UUID waiter = ids.get(rnd.nextInt(n));
            UUID holder = ids.get(rnd.nextInt(n));
            if (waiter.equals(holder) && rnd.nextInt(4) != 0) {
                continue; // keep self-loops rare
            }
            LockMode[] modes = LockMode.values();
            edges.add(new WaitEdge(waiter, holder, "r" + rnd.nextInt(4), modes[rnd.nextInt(modes.length)],
                    modes[rnd.nextInt(modes.length)], rnd.nextBoolean() ? LockQueue.Kind.HARD : LockQueue.Kind.SOFT,
                    SINCE.plusSeconds(rnd.nextInt(3))));
        }
        return new Case(edges, nodes);
    }

    @Test
    void random_graphs_against_a_brute_force_oracle() {
        int deadlocked = 0;
        int withSeveralVictims = 0;
        int blockedOnlyByLeavers = 0;
        int withSpared = 0;
        for (long seed = FIRST_SEED; seed < FIRST_SEED + GRAPHS; seed++) {
            Random rnd = new Random(seed);
            Case c = randomCase(rnd);
            try {
                List<DeadlockFinder.Resolution> resolutions = check(c, rnd);
                if (!resolutions.isEmpty()) {
                    deadlocked++;
                }
                if (resolutions.stream().anyMatch(r -> !r.spared().isEmpty())) {
                    withSpared++;
                }
                if (resolutions.size() > 1) {
                    withSeveralVictims++;
                }
                if (resolutions.isEmpty() && !acyclic(c.edges(), Set.of())) {
                    blockedOnlyByLeavers++;
                }
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("seed " + seed + " failed; edges=" + c.edges() + " nodes=" + c.nodes().values(), e);
            }
        }
        // The generator must actually exercise the interesting cases.
        assertThat(deadlocked).as("graphs with a deadlock").isGreaterThan(GRAPHS / 4);
        assertThat(withSeveralVictims).as("graphs needing several victims").isGreaterThan(GRAPHS / 20);
        assertThat(withSpared).as("graphs where a greedy choice is spared").isPositive();
        assertThat(blockedOnlyByLeavers).as("cyclic graphs whose cycles all run through leaving sagas").isPositive();
    }

    private static List<DeadlockFinder.Resolution> check(Case c, Random rnd) {
        List<WaitEdge> edges = c.edges();
        List<DeadlockFinder.Resolution> resolutions = resolve(edges, c.nodes());
        List<UUID> victims = victims(resolutions);
        Set<UUID> leaving = c.nodes().values().stream().filter(n -> !n.mayBeVictim()).map(SagaNode::id)
                .collect(Collectors.toSet());
        Set<UUID> onCycles = sagasOnCycles(edges, Set.of());

        // Victims are distinct, allowed to be victims, and sat on a cycle of the original graph.
        assertThat(victims).doesNotHaveDuplicates();
        assertThat(victims).as("victims that may not be victims").noneMatch(leaving::contains);
        assertThat(onCycles).containsAll(victims);
        assertThat(victims.size()).isLessThanOrEqualTo(onCycles.size());

        // Each victim's reported cycle is real and avoids leaving sagas and the victims reported before it.
        Set<UUID> removed = new HashSet<>(leaving);
        for (DeadlockFinder.Resolution r : resolutions) {
            UUID victim = r.victim().id();
            assertIsCycleThrough(r.cycle(), victim, edges);
            assertThat(r.cycle()).as("cycle avoids leaving sagas and earlier victims")
                    .allSatisfy(e -> assertThat(removed).doesNotContain(e.waiter(), e.holder()));
            removed.add(victim);
        }

        // The victims are the policy's greedy choices, less every one the later choices make needless.
        List<Chosen> chosen = greedyChoices(c, leaving);
        Map<UUID, String> kept = spareNeedless(chosen, edges, leaving);
        assertThat(victims).containsExactlyInAnyOrderElementsOf(kept.keySet());
        resolutions.forEach(r -> assertThat(r.why()).as("why %s", r.victim().id()).isEqualTo(kept.get(r.victim().id())));
        List<UUID> spared = resolutions.stream().flatMap(r -> r.spared().stream()).map(s -> s.saga().id()).toList();
        assertThat(spared).as("spared: chosen first, then not needed")
                .containsExactlyInAnyOrderElementsOf(chosen.stream().map(Chosen::victim).filter(v -> !kept.containsKey(v)).toList());

        // Minimal: every victim is needed, since without its abort some cycle avoiding the leavers would stand.
        for (UUID victim : victims) {
            Set<UUID> others = new HashSet<>(leaving);
            victims.stream().filter(v -> !v.equals(victim)).forEach(others::add);
            assertThat(acyclic(edges, others)).as("victim %s can be spared", victim).isFalse();
        }

        // Nothing cyclic is left but cycles that run through a saga leaving on its own (compensating or
        // asked to abort), whose cycles break without a victim.
        assertThat(acyclic(edges, removed)).as("acyclic without victims and leaving sagas").isTrue();
        Set<UUID> stillOnCycles = sagasOnCycles(edges, new HashSet<>(victims));
        for (UUID saga : stillOnCycles) {
            Set<UUID> withoutLeavers = new HashSet<>(victims);
            withoutLeavers.addAll(leaving);
            assertThat(onCycle(saga, edges, withoutLeavers))
                    .as("saga %s stays on a cycle only through a leaving saga", saga).isFalse();
        }
        if (leaving.stream().noneMatch(onCycles::contains)) {
            assertThat(acyclic(edges, new HashSet<>(victims))).as("no leavers on cycles: fully acyclic").isTrue();
        }
        assertThat(resolutions.isEmpty()).as("a victim iff a cycle avoids every leaving saga")
                .isEqualTo(acyclic(edges, leaving));

        // Deterministic: the same input gives the same resolutions; shuffled edges give the same victims.
        List<DeadlockFinder.Resolution> again = resolve(edges, c.nodes());
        assertThat(again).isEqualTo(resolutions);
        List<WaitEdge> shuffled = new ArrayList<>(edges);
        Collections.shuffle(shuffled, rnd);
        List<DeadlockFinder.Resolution> reordered = resolve(shuffled, c.nodes());
        assertThat(victims(reordered)).containsExactlyInAnyOrderElementsOf(victims);
        assertThat(summary(reordered)).isEqualTo(summary(resolutions));
        return resolutions;
    }

    private record Chosen(UUID victim, String why) {
    }

    /** The policy's choices, one at a time: the most expendable of some group left, until no group is left. */
    private static List<Chosen> greedyChoices(Case c, Set<UUID> leaving) {
        Set<UUID> removed = new HashSet<>(leaving);
        List<Chosen> chosen = new ArrayList<>();
        while (true) {
            Set<UUID> cyclic = sagasOnCycles(c.edges(), removed);
            if (cyclic.isEmpty()) {
                return chosen;
            }
            UUID any = cyclic.stream().min(Comparator.comparing(UUID::toString)).orElseThrow();
            List<SagaNode> ranked = stronglyConnected(any, c.edges(), removed).stream().map(c.nodes()::get)
                    .sorted(ORACLE_ORDER).toList();
            chosen.add(new Chosen(ranked.getFirst().id(), expectedWhy(ranked)));
            removed.add(ranked.getFirst().id());
        }
    }

    /** Latest choice first: a victim whose abort the others make needless is spared. Returns victim → why. */
    private static Map<UUID, String> spareNeedless(List<Chosen> chosen, List<WaitEdge> edges, Set<UUID> leaving) {
        List<Chosen> kept = new ArrayList<>(chosen);
        for (Chosen candidate : chosen.reversed()) {
            Set<UUID> without = new HashSet<>(leaving);
            kept.stream().filter(k -> k != candidate).forEach(k -> without.add(k.victim()));
            if (acyclic(edges, without)) {
                kept.remove(candidate);
            }
        }
        return kept.stream().collect(Collectors.toMap(Chosen::victim, Chosen::why));
    }

    /** Per victim: why, and the length of the (shortest) cycle reported; both independent of edge order. */
    private static Map<UUID, String> summary(List<DeadlockFinder.Resolution> resolutions) {
        return resolutions.stream().collect(Collectors.toMap(r -> r.victim().id(),
                r -> r.why() + " / " + r.cycle().size()));
    }

    private static String expectedWhy(List<SagaNode> ranked) {
        SagaNode v = ranked.getFirst();
        List<SagaNode> candidates = ranked.stream().filter(SagaNode::mayBeVictim).toList();
        List<SagaNode> samePriority = candidates.stream().filter(n -> n.priority() == v.priority()).toList();
        if (samePriority.size() == 1) {
            return "lowest priority (" + v.priority() + ") in the cycle";
        }
        if (samePriority.stream().filter(n -> n.startedAt().equals(v.startedAt())).count() == 1) {
            return "shortest running (" + java.time.Duration.between(v.startedAt(), NOW) + ") among priority "
                    + v.priority();
        }
        return "highest id among sagas of priority " + v.priority() + " that started at the same time";
    }

    /** The sagas that reach {@code saga} and are reached by it, avoiding {@code removed} (brute force). */
    private static Set<UUID> stronglyConnected(UUID saga, List<WaitEdge> edges, Set<UUID> removed) {
        Set<UUID> forward = reach(saga, edges, removed, WaitEdge::waiter, WaitEdge::holder);
        Set<UUID> backward = reach(saga, edges, removed, WaitEdge::holder, WaitEdge::waiter);
        forward.retainAll(backward);
        forward.add(saga);
        return forward;
    }

    private static Set<UUID> reach(UUID from, List<WaitEdge> edges, Set<UUID> removed,
                                   Function<WaitEdge, UUID> tail, Function<WaitEdge, UUID> head) {
        Set<UUID> seen = new HashSet<>();
        Deque<UUID> todo = new ArrayDeque<>(List.of(from));
        while (!todo.isEmpty()) {
            UUID v = todo.poll();
            for (WaitEdge e : edges) {
                if (tail.apply(e).equals(v) && !removed.contains(head.apply(e)) && seen.add(head.apply(e))) {
                    todo.add(head.apply(e));
                }
            }
        }
        return seen;
    }
}
