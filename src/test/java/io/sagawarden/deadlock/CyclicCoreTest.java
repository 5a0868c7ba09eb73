package io.sagawarden.deadlock;

import static io.sagawarden.deadlock.DeadlockFixtures.hard;
import static io.sagawarden.deadlock.DeadlockFixtures.id;
import static io.sagawarden.deadlock.DeadlockFixtures.soft;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.jgrapht.Graph;
import org.jgrapht.alg.connectivity.KosarajuStrongConnectivityInspector;
import org.jgrapht.graph.DirectedPseudograph;
import org.junit.jupiter.api.Test;

/** Peeling keeps every edge that can lie on a cycle and drops the chains and branches around cycles. */
class CyclicCoreTest {

    @Test
    void aChainHasNoCore() {
        List<WaitEdge> chain = List.of(hard(id(1), id(2), "a"), hard(id(2), id(3), "b"), hard(id(3), id(4), "c"));

        assertThat(CyclicCore.of(chain)).isEmpty();
    }

    @Test
    void aCycleKeepsItsEdgesAndLosesWhatHangsOnIt() {
        WaitEdge ab = hard(id(1), id(2), "b");
        WaitEdge ba = soft(id(2), id(1), "a");
        List<WaitEdge> edges = List.of(
                hard(id(10), id(11), "t"), hard(id(11), id(1), "u"), // a tail waiting on the cycle
                ab, ba,
                hard(id(2), id(20), "v"), hard(id(20), id(21), "w")); // the cycle also waits on a chain

        assertThat(CyclicCore.of(edges)).containsExactly(ab, ba);
    }

    @Test
    void aSelfLoopStays() {
        WaitEdge self = hard(id(1), id(1), "a");

        assertThat(CyclicCore.of(List.of(hard(id(2), id(1), "a"), self))).containsExactly(self);
    }

    @Test
    void twoCyclesJoinedByABridgeKeepTheBridgeForTheComponentsSearchToSeparate() {
        List<WaitEdge> edges = List.of(hard(id(1), id(2), "a"), hard(id(2), id(1), "b"), hard(id(2), id(3), "c"),
                hard(id(3), id(4), "d"), hard(id(4), id(3), "e"));

        assertThat(CyclicCore.of(edges)).hasSize(5);
        assertThat(new WaitForGraph(edges).deadlockedGroups()).containsExactlyInAnyOrder(
                Set.of(id(1), id(2)), Set.of(id(3), id(4)));
    }

    /** On random graphs the groups found on the core are exactly the groups of the whole graph. */
    @Test
    void theCoreLosesNoDeadlockedGroup() {
        Random random = new Random(42);
        for (int round = 0; round < 500; round++) {
            int sagas = 2 + random.nextInt(200);
            int waits = random.nextInt(sagas * 2);
            List<WaitEdge> edges = new ArrayList<>();
            for (int i = 0; i < waits; i++) {
                edges.add(hard(id(random.nextInt(sagas)), id(random.nextInt(sagas)), "r" + i));
            }

            assertThat(Set.copyOf(new WaitForGraph(edges).deadlockedGroups()))
                    .as("round %d", round).isEqualTo(groupsOfWholeGraph(edges));
        }
    }

    private static Set<Set<UUID>> groupsOfWholeGraph(List<WaitEdge> edges) {
        Graph<UUID, WaitEdge> whole = new DirectedPseudograph<>(null, null, false);
        for (WaitEdge e : edges) {
            whole.addVertex(e.waiter());
            whole.addVertex(e.holder());
            whole.addEdge(e.waiter(), e.holder(), e);
        }
        Set<Set<UUID>> groups = new HashSet<>();
        for (Set<UUID> component : new KosarajuStrongConnectivityInspector<>(whole).stronglyConnectedSets()) {
            UUID first = component.iterator().next();
            if (component.size() > 1 || !whole.getAllEdges(first, first).isEmpty()) {
                groups.add(component);
            }
        }
        return groups;
    }
}
