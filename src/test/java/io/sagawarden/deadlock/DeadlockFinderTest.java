package io.sagawarden.deadlock;

import static io.sagawarden.deadlock.DeadlockFixtures.NOW;
import static io.sagawarden.deadlock.DeadlockFixtures.abortPending;
import static io.sagawarden.deadlock.DeadlockFixtures.acyclic;
import static io.sagawarden.deadlock.DeadlockFixtures.assertIsCycleThrough;
import static io.sagawarden.deadlock.DeadlockFixtures.compensating;
import static io.sagawarden.deadlock.DeadlockFixtures.edgesOf;
import static io.sagawarden.deadlock.DeadlockFixtures.hard;
import static io.sagawarden.deadlock.DeadlockFixtures.id;
import static io.sagawarden.deadlock.DeadlockFixtures.node;
import static io.sagawarden.deadlock.DeadlockFixtures.nodes;
import static io.sagawarden.deadlock.DeadlockFixtures.resolve;
import static io.sagawarden.deadlock.DeadlockFixtures.soft;
import static io.sagawarden.deadlock.DeadlockFixtures.victims;
import static io.sagawarden.lock.LockMode.EXCLUSIVE;
import static io.sagawarden.lock.LockMode.SHARED;
import static org.assertj.core.api.Assertions.assertThat;

import io.sagawarden.lock.LockQueue;
import io.sagawarden.lock.LockQueue.Holder;
import io.sagawarden.lock.LockQueue.Kind;
import io.sagawarden.lock.LockQueue.Waiter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Victim choice and cycle reports of {@link DeadlockFinder} on small, hand-built wait-for graphs. */
class DeadlockFinderTest {

    private final UUID a = id(0xa);
    private final UUID b = id(0xb);
    private final UUID c = id(0xc);
    private final UUID d = id(0xd);
    private final UUID e = id(0xe);
    private final UUID f = id(0xf);
    private final UUID x = id(0x10);

    /** Resolves, then checks what every test needs: real cycles, and nothing cyclic once victims (and leavers) go. */
    private static List<DeadlockFinder.Resolution> resolveAndCheck(List<WaitEdge> edges, Map<UUID, SagaNode> all) {
        List<DeadlockFinder.Resolution> resolutions = resolve(edges, all);
        Set<UUID> gone = new HashSet<>();
        all.values().stream().filter(n -> !n.mayBeVictim()).forEach(n -> gone.add(n.id()));
        for (DeadlockFinder.Resolution r : resolutions) {
            assertIsCycleThrough(r.cycle(), r.victim().id(), edges);
            assertThat(r.cycle()).as("the cycle avoids earlier victims and leaving sagas")
                    .allSatisfy(edge -> assertThat(gone).doesNotContain(edge.waiter(), edge.holder()));
            assertThat(r.victim().mayBeVictim()).isTrue();
            gone.add(r.victim().id());
        }
        assertThat(acyclic(edges, gone)).as("acyclic once victims and leaving sagas are out").isTrue();
        return resolutions;
    }

    private static Set<UUID> idsOf(List<DeadlockFinder.Resolution> resolutions) {
        return new HashSet<>(victims(resolutions));
    }

    @Test
    void two_cycle_victim_is_the_lower_priority() {
        List<WaitEdge> edges = List.of(hard(a, b, "r1"), hard(b, a, "r2"));
        var resolutions = resolveAndCheck(edges, nodes(node(a, 5), node(b, 2)));

        assertThat(victims(resolutions)).containsExactly(b);
        assertThat(resolutions.getFirst().cycle()).containsExactly(hard(b, a, "r2"), hard(a, b, "r1"));
        assertThat(resolutions.getFirst().why()).isEqualTo("lowest priority (2) in the cycle");
    }

    @Test
    void three_cycle() {
        List<WaitEdge> edges = List.of(hard(a, b, "r1"), hard(b, c, "r2"), hard(c, a, "r3"));
        var resolutions = resolveAndCheck(edges, nodes(node(a, 3), node(b, 4), node(c, 1)));

        assertThat(victims(resolutions)).containsExactly(c);
        assertThat(resolutions.getFirst().cycle())
                .containsExactly(hard(c, a, "r3"), hard(a, b, "r1"), hard(b, c, "r2"));
        assertThat(resolutions.getFirst().why()).isEqualTo("lowest priority (1) in the cycle");
    }

    @Test
    void two_disjoint_cycles_get_one_victim_each() {
        List<WaitEdge> edges = List.of(
                hard(a, b, "r1"), hard(b, a, "r2"),
                hard(c, d, "r3"), hard(d, e, "r4"), hard(e, c, "r5"));
        var resolutions = resolveAndCheck(edges,
                nodes(node(a, 1), node(b, 2), node(c, 7), node(d, 3), node(e, 9)));

        assertThat(victims(resolutions)).containsExactlyInAnyOrder(a, d);
        for (var r : resolutions) {
            if (r.victim().id().equals(a)) {
                assertThat(r.cycle()).containsExactly(hard(a, b, "r1"), hard(b, a, "r2"));
            } else {
                assertThat(r.cycle()).containsExactly(hard(d, e, "r4"), hard(e, c, "r5"), hard(c, d, "r3"));
            }
        }
    }

    @Test
    void upgrade_deadlock_built_from_the_lock_queue_needs_one_victim() {
        // a and b both read r; both now want to write it: each waits for the other's SHARED.
        LockQueue r = new LockQueue(List.of(new Holder(a, SHARED), new Holder(b, SHARED)),
                List.of(new Waiter(1, a, EXCLUSIVE, true), new Waiter(2, b, EXCLUSIVE, true)));
        List<WaitEdge> edges = edgesOf("r", r);
        assertThat(edges).extracting(WaitEdge::waiter, WaitEdge::holder, WaitEdge::kind).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple(a, b, Kind.HARD),
                org.assertj.core.groups.Tuple.tuple(b, a, Kind.HARD),
                org.assertj.core.groups.Tuple.tuple(b, a, Kind.SOFT));

        var resolutions = resolveAndCheck(edges, nodes(node(a, 1), node(b, 4)));

        assertThat(victims(resolutions)).containsExactly(a);
        var cycle = resolutions.getFirst().cycle();
        assertThat(cycle).hasSize(2);
        assertThat(cycle.getFirst()).isEqualTo(new WaitEdge(a, b, "r", EXCLUSIVE, SHARED, Kind.HARD,
                DeadlockFixtures.SINCE));
        assertThat(cycle.getLast()).satisfies(edge -> {
            assertThat(edge.resource()).isEqualTo("r");
            assertThat(edge.requestedMode()).isEqualTo(EXCLUSIVE);
            assertThat(edge.waiter()).isEqualTo(b); // over b's HARD (SHARED held) or SOFT (upgrade ahead) edge
        });
    }

    @Test
    void five_readers_all_upgrading_one_resource_need_four_victims_and_the_highest_priority_survives() {
        List<UUID> sagas = List.of(a, b, c, d, e);
        int[] priorities = {3, 9, 1, 5, 7};
        List<Holder> holders = sagas.stream().map(s -> new Holder(s, SHARED)).toList();
        List<Waiter> upgrades = IntStream.range(0, 5)
                .mapToObj(i -> new Waiter(i + 1, sagas.get(i), EXCLUSIVE, true)).toList();
        List<WaitEdge> edges = edgesOf("sku:1", new LockQueue(holders, upgrades));
        Map<UUID, SagaNode> all = nodes(IntStream.range(0, 5)
                .mapToObj(i -> node(sagas.get(i), priorities[i])).toArray(SagaNode[]::new));

        var resolutions = resolveAndCheck(edges, all);

        // k−1 victims, most expendable first; b (priority 9) is left to finish.
        assertThat(victims(resolutions)).containsExactly(c, a, d, e);
        assertThat(resolutions).extracting(DeadlockFinder.Resolution::why).containsExactly(
                "lowest priority (1) in the cycle", "lowest priority (3) in the cycle",
                "lowest priority (5) in the cycle", "lowest priority (7) in the cycle");
        assertThat(resolutions.getLast().cycle()).extracting(WaitEdge::waiter, WaitEdge::holder).containsExactly(
                org.assertj.core.groups.Tuple.tuple(e, b), org.assertj.core.groups.Tuple.tuple(b, e));
    }

    @Test
    void a_cycle_that_exists_only_through_a_soft_edge() {
        // a holds r1 and now wants to read r2. b read r2 earlier and now needs r1 and r2 exclusively (one step,
        // all-or-nothing): b queues for r1 (held by a) and upgrades r2. a's read of r2 is compatible with b's
        // SHARED hold, but FIFO keeps it behind b's queued upgrade: a waits on b (SOFT), b waits on a (HARD).
        LockQueue r1 = new LockQueue(List.of(new Holder(a, EXCLUSIVE)), List.of(new Waiter(1, b, EXCLUSIVE, false)));
        LockQueue r2 = new LockQueue(List.of(new Holder(b, SHARED)),
                List.of(new Waiter(2, b, EXCLUSIVE, true), new Waiter(3, a, SHARED, false)));
        List<WaitEdge> edges = new ArrayList<>(edgesOf("r1", r1));
        edges.addAll(edgesOf("r2", r2));

        assertThat(edges).extracting(WaitEdge::waiter, WaitEdge::holder, WaitEdge::resource, WaitEdge::kind)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple(b, a, "r1", Kind.HARD),
                        org.assertj.core.groups.Tuple.tuple(a, b, "r2", Kind.SOFT));
        List<WaitEdge> hardOnly = edges.stream().filter(edge -> edge.kind() == Kind.HARD).toList();
        assertThat(resolve(hardOnly, nodes(node(a, 1), node(b, 2)))).as("no deadlock without the SOFT edge").isEmpty();

        var resolutions = resolveAndCheck(edges, nodes(node(a, 1), node(b, 2)));

        assertThat(victims(resolutions)).containsExactly(a);
        var cycle = resolutions.getFirst().cycle();
        assertThat(cycle).extracting(WaitEdge::resource, WaitEdge::kind, WaitEdge::requestedMode, WaitEdge::heldMode)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("r2", Kind.SOFT, SHARED, EXCLUSIVE),
                        org.assertj.core.groups.Tuple.tuple("r1", Kind.HARD, EXCLUSIVE, EXCLUSIVE));
    }

    @Test
    void a_saga_that_only_waits_on_a_deadlocked_group_is_never_the_victim() {
        // x waits on a (into the group), a also waits on f (out of the group, f is just running); a ⇄ b deadlock.
        List<WaitEdge> edges = List.of(hard(x, a, "r0"), hard(a, b, "r1"), hard(b, a, "r2"), hard(a, f, "r3"),
                hard(b, f, "r3"));
        Map<UUID, SagaNode> all = nodes(node(x, 0), node(f, 0), node(a, 6), node(b, 8));

        assertThat(DeadlockFinder.sagasInDeadlockedGroups(new WaitForGraph(edges))).containsExactlyInAnyOrder(a, b);
        var resolutions = resolveAndCheck(edges, all);

        assertThat(victims(resolutions)).containsExactly(a);
        assertThat(resolutions.getFirst().cycle()).containsExactly(hard(a, b, "r1"), hard(b, a, "r2"));
    }

    @Test
    void branches_that_merge_without_a_cycle_are_no_deadlock() {
        List<WaitEdge> edges = List.of(hard(a, b, "r1"), hard(a, c, "r2"), hard(b, d, "r3"), hard(c, d, "r3"),
                soft(b, c, "r2"));
        WaitForGraph graph = new WaitForGraph(edges);

        assertThat(graph.deadlockedGroups()).isEmpty();
        assertThat(DeadlockFinder.sagasInDeadlockedGroups(graph)).isEmpty();
        assertThat(DeadlockFinder.resolve(graph, Map.of(), NOW)).isEmpty();
        assertThat(acyclic(edges, Set.of())).isTrue();
    }

    @Test
    void a_compensating_saga_is_never_the_victim() {
        // a (compensating, lowest priority) sits on the cycle a→b→c→a; the cycle b⇄c avoids it.
        List<WaitEdge> edges = List.of(hard(a, b, "r1"), hard(b, c, "r2"), hard(c, a, "r3"), hard(c, b, "r4"));
        var resolutions = resolveAndCheck(edges, nodes(compensating(a, 0), node(b, 5), node(c, 4)));

        assertThat(victims(resolutions)).containsExactly(c);
        assertThat(resolutions.getFirst().cycle()).containsExactly(hard(c, b, "r4"), hard(b, c, "r2"));
    }

    @Test
    void a_saga_already_asked_to_abort_is_never_the_victim() {
        List<WaitEdge> edges = List.of(hard(a, b, "r1"), hard(b, a, "r2"), hard(b, c, "r3"), hard(c, b, "r4"));
        var resolutions = resolveAndCheck(edges, nodes(abortPending(a, 0), node(b, 5), node(c, 4)));

        assertThat(victims(resolutions)).containsExactly(c);
    }

    @Test
    void no_victim_when_every_saga_of_the_group_is_leaving_anyway() {
        List<WaitEdge> edges = List.of(hard(a, b, "r1"), hard(b, a, "r2"), hard(c, d, "r3"), hard(d, c, "r4"));
        var resolutions = resolve(edges, nodes(compensating(a, 0), abortPending(b, 1), node(c, 9), node(d, 2)));

        assertThat(victims(resolutions)).as("the a⇄b group has no candidate; c⇄d still gets its victim")
                .containsExactly(d);
        assertThat(VictimPolicy.choose(List.of(compensating(a, 0), abortPending(b, 1)), NOW)).isEmpty();
    }

    @Test
    void a_cycle_through_a_leaving_saga_breaks_on_its_own_and_costs_no_victim() {
        // a is asked to abort: it leaves its queues and releases its locks without help. Aborting b as well
        // would be a victim too many (and DeadlockStore.abortVictims would refuse a cycle with a leaving member).
        List<WaitEdge> edges = List.of(hard(a, b, "r1"), hard(b, a, "r2"));

        assertThat(resolve(edges, nodes(abortPending(a, 9), node(b, 0)))).isEmpty();
        assertThat(resolve(edges, nodes(compensating(a, 9), node(b, 0)))).isEmpty();
    }

    @Test
    void equal_priority_the_latest_start_loses() {
        Instant aStart = NOW.minusSeconds(90);
        Instant bStart = NOW.minusMillis(3_200);
        Instant cStart = NOW.minusSeconds(30);
        List<WaitEdge> edges = List.of(hard(a, b, "r1"), hard(b, c, "r2"), hard(c, a, "r3"));
        var resolutions = resolveAndCheck(edges, nodes(node(a, 2, aStart), node(b, 2, bStart), node(c, 2, cStart)));

        assertThat(victims(resolutions)).containsExactly(b);
        assertThat(resolutions.getFirst().why()).isEqualTo("shortest running (PT3.2S) among priority 2");
    }

    @Test
    void a_lower_priority_beats_a_later_start() {
        List<WaitEdge> edges = List.of(hard(a, b, "r1"), hard(b, a, "r2"));
        var resolutions = resolveAndCheck(edges,
                nodes(node(a, 1, NOW.minusSeconds(3600)), node(b, 2, NOW.minusSeconds(1))));

        assertThat(victims(resolutions)).containsExactly(a);
        assertThat(resolutions.getFirst().why()).isEqualTo("lowest priority (1) in the cycle");
    }

    @Test
    void equal_priority_and_start_the_highest_id_by_its_string_form_loses() {
        // VictimPolicy compares UUID.toString() (reverse order), not UUID.compareTo (signed longs): 8000… is
        // the highest as text but the lowest for compareTo. Pin the documented, textual order.
        UUID high = UUID.fromString("80000000-0000-0000-0000-000000000000");
        UUID low = UUID.fromString("7fffffff-ffff-ffff-ffff-ffffffffffff");
        assertThat(high.compareTo(low)).isNegative();
        assertThat(high.toString()).isGreaterThan(low.toString());
        Instant start = NOW.minusSeconds(10);
        List<WaitEdge> edges = List.of(hard(low, high, "r1"), hard(high, low, "r2"));

        var resolutions = resolveAndCheck(edges, nodes(node(low, 3, start), node(high, 3, start)));

        assertThat(victims(resolutions)).containsExactly(high);
        assertThat(resolutions.getFirst().why())
                .isEqualTo("highest id among sagas of priority 3 that started at the same time");
    }

    @Test
    void tie_break_on_id_applies_only_among_the_tied() {
        // b and c tie on priority and start; a has the same priority but started later: a loses on start alone.
        Instant tied = NOW.minusSeconds(40);
        List<WaitEdge> edges = List.of(hard(a, b, "r1"), hard(b, c, "r2"), hard(c, a, "r3"));
        var later = resolveAndCheck(edges, nodes(node(a, 1, NOW.minusSeconds(5)), node(b, 1, tied), node(c, 1, tied)));
        assertThat(victims(later)).containsExactly(a);
        assertThat(later.getFirst().why()).isEqualTo("shortest running (PT5S) among priority 1");

        // now a started earliest: b and c tie on the latest start; c has the higher id.
        var idTie = resolveAndCheck(edges, nodes(node(a, 1, NOW.minusSeconds(500)), node(b, 1, tied), node(c, 1, tied)));
        assertThat(victims(idTie)).containsExactly(c);
        assertThat(idTie.getFirst().why()).isEqualTo("highest id among sagas of priority 1 that started at the same time");
    }

    @Test
    void victim_policy_ignores_higher_priorities_when_explaining() {
        // One saga of the lowest priority: the reason is its priority, even if others share its start time.
        Instant start = NOW.minusSeconds(10);
        var choice = VictimPolicy.choose(List.of(node(a, 0, start), node(b, 1, start), node(c, 1, start)), NOW);
        assertThat(choice).get().extracting(VictimPolicy.Choice::victim).extracting(SagaNode::id).isEqualTo(a);
        assertThat(choice.get().why()).isEqualTo("lowest priority (0) in the cycle");
    }

    @Test
    void a_saga_waiting_on_itself_is_its_own_deadlock() {
        // Not produced by LockQueue (a saga never blocks itself), but the graph treats a self-loop as a cycle.
        List<WaitEdge> edges = List.of(hard(a, a, "r1"), hard(b, a, "r2"));
        var resolutions = resolveAndCheck(edges, nodes(node(a, 5), node(b, 0)));

        assertThat(victims(resolutions)).containsExactly(a);
        assertThat(resolutions.getFirst().cycle()).containsExactly(hard(a, a, "r1"));
    }

    @Test
    void the_reported_cycle_is_the_shortest_through_the_victim() {
        // a is on a 4-cycle a→b→c→d→a and on a 2-cycle a⇄d; the report names the 2-cycle.
        List<WaitEdge> edges = List.of(hard(a, b, "r1"), hard(b, c, "r2"), hard(c, d, "r3"), hard(d, a, "r4"),
                hard(a, d, "r5"));
        var resolutions = resolveAndCheck(edges, nodes(node(a, 0), node(b, 5), node(c, 5), node(d, 5)));

        assertThat(victims(resolutions)).containsExactly(a);
        assertThat(resolutions.getFirst().cycle()).containsExactly(hard(a, d, "r5"), hard(d, a, "r4"));
    }

    @Test
    void a_victim_that_does_not_break_every_cycle_of_its_group_is_followed_by_another() {
        // a, b and c all wait on each other both ways: removing the lowest (b) leaves a⇄c, which needs a second victim.
        List<WaitEdge> edges = List.of(hard(a, b, "r1"), hard(b, a, "r2"), hard(b, c, "r3"), hard(c, b, "r4"),
                hard(a, c, "r5"), hard(c, a, "r6"));
        var resolutions = resolveAndCheck(edges, nodes(node(a, 4), node(b, 1), node(c, 2)));

        assertThat(victims(resolutions)).containsExactly(b, c);
    }

    @Test
    void a_victim_chosen_first_is_spared_when_a_later_one_breaks_every_cycle_it_was_on() {
        // X (priority 0, oldest) holds r3 and waits for r1; Y (1) holds r1 and waits for r2; Z (3) holds r2 and
        // waits for r3; W (0, newest) waits for r1, queued ahead of X. The policy picks W first (the shorter
        // running of the two lowest), which leaves X→Y→Z→X; then X. Aborting X alone breaks both cycles.
        UUID w = a;
        UUID xx = b;
        UUID y = c;
        UUID z = d;
        List<WaitEdge> edges = new ArrayList<>(edgesOf("r1", new LockQueue(List.of(new Holder(y, EXCLUSIVE)),
                List.of(new Waiter(1, w, EXCLUSIVE, false), new Waiter(2, xx, EXCLUSIVE, false)))));
        edges.add(hard(y, z, "r2"));
        edges.add(hard(z, xx, "r3"));
        assertThat(edges).contains(new WaitEdge(xx, w, "r1", EXCLUSIVE, EXCLUSIVE, Kind.SOFT, DeadlockFixtures.SINCE));
        SagaNode oldest = node(xx, 0, NOW.minusSeconds(600));
        SagaNode newest = node(w, 0, NOW.minusSeconds(5));
        Map<UUID, SagaNode> all = nodes(newest, oldest, node(y, 1), node(z, 3));

        var resolutions = resolveAndCheck(edges, all);

        assertThat(victims(resolutions)).containsExactly(xx);
        DeadlockFinder.Resolution only = resolutions.getFirst();
        assertThat(only.why()).isEqualTo("lowest priority (0) in the cycle");
        assertThat(only.cycle()).containsExactly(hard(xx, y, "r1"), hard(y, z, "r2"), hard(z, xx, "r3"));
        assertThat(only.spared()).containsExactly(new DeadlockFinder.Spared(newest, List.of(xx)));
        assertThat(DeadlockReport.text(only, all)).endsWith(". Saga " + w + " (TestSaga, priority 0) was spared: aborting saga "
                + xx + " breaks every cycle it was on.");
    }

    @Test
    void several_victims_stay_when_each_is_needed() {
        // Two 2-cycles joined through b: a⇄b and b⇄c, with b the highest priority. a and c must both go.
        List<WaitEdge> edges = List.of(hard(a, b, "r1"), hard(b, a, "r2"), hard(b, c, "r3"), hard(c, b, "r4"));
        var resolutions = resolveAndCheck(edges, nodes(node(a, 0), node(b, 9), node(c, 1)));

        assertThat(victims(resolutions)).containsExactly(a, c);
        assertThat(resolutions).allSatisfy(r -> assertThat(r.spared()).isEmpty());
    }
}
