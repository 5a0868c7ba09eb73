package io.sagawarden.deadlock;

import static io.sagawarden.deadlock.DeadlockFixtures.NOW;
import static io.sagawarden.deadlock.DeadlockFixtures.SINCE;
import static io.sagawarden.deadlock.DeadlockFixtures.id;
import static io.sagawarden.lock.LockMode.EXCLUSIVE;
import static io.sagawarden.lock.LockMode.SHARED;
import static io.sagawarden.lock.LockMode.UPDATE;
import static org.assertj.core.api.Assertions.assertThat;

import io.sagawarden.lock.LockQueue.Kind;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Golden texts of {@link DeadlockReport}, for the cycles and victims that {@link DeadlockFinder} reports. */
class DeadlockReportTest {

    private final UUID a = id(0xa);
    private final UUID b = id(0xb);
    private final UUID c = id(0xc);

    private static DeadlockFinder.Resolution only(List<WaitEdge> edges, Map<UUID, SagaNode> nodes) {
        List<DeadlockFinder.Resolution> resolutions = DeadlockFinder.resolve(new WaitForGraph(edges), nodes, NOW);
        assertThat(resolutions).hasSize(1);
        return resolutions.getFirst();
    }

    private static String text(DeadlockFinder.Resolution r, Map<UUID, SagaNode> nodes) {
        return DeadlockReport.text(r.cycle(), nodes, r.victim(), r.why());
    }

    @Test
    void two_sagas_hard_cycle() {
        SagaNode orders = new SagaNode(a, "CreateOrderSaga", 1, NOW.minusSeconds(10), false, false);
        SagaNode payments = new SagaNode(b, "PaymentSaga", 3, NOW.minusSeconds(20), false, false);
        Map<UUID, SagaNode> nodes = Map.of(a, orders, b, payments);
        List<WaitEdge> edges = List.of(
                new WaitEdge(b, a, "account:7", EXCLUSIVE, SHARED, Kind.HARD, SINCE),
                new WaitEdge(a, b, "sku:42", EXCLUSIVE, EXCLUSIVE, Kind.HARD, SINCE));

        DeadlockFinder.Resolution r = only(edges, nodes);
        String text = text(r, nodes);

        assertThat(text).isEqualTo("saga 00000000-0000-0000-0000-00000000000a (CreateOrderSaga, priority 1)"
                + " waits for EXCLUSIVE on sku:42 held EXCLUSIVE by"
                + " saga 00000000-0000-0000-0000-00000000000b (PaymentSaga, priority 3),"
                + " which waits for EXCLUSIVE on account:7 held SHARED by saga 00000000-0000-0000-0000-00000000000a."
                + " Victim: saga 00000000-0000-0000-0000-00000000000a, lowest priority (1) in the cycle.");
        assertMentionsEverything(text, r, nodes);
    }

    @Test
    void three_sagas_with_one_soft_edge() {
        SagaNode orders = new SagaNode(a, "CreateOrderSaga", 2, NOW.minusSeconds(60), false, false);
        SagaNode stock = new SagaNode(b, "ReserveStockSaga", 2, NOW.minusSeconds(5), false, false);
        SagaNode shipping = new SagaNode(c, "ShipmentSaga", 2, NOW.minusSeconds(30), false, false);
        Map<UUID, SagaNode> nodes = Map.of(a, orders, b, stock, c, shipping);
        List<WaitEdge> edges = List.of(
                new WaitEdge(a, b, "sku:1", EXCLUSIVE, EXCLUSIVE, Kind.HARD, SINCE),
                new WaitEdge(b, c, "account:7", SHARED, EXCLUSIVE, Kind.SOFT, SINCE),
                new WaitEdge(c, a, "order:9", EXCLUSIVE, UPDATE, Kind.HARD, SINCE));

        DeadlockFinder.Resolution r = only(edges, nodes);
        String text = text(r, nodes);

        assertThat(r.victim()).isEqualTo(stock);
        assertThat(text).isEqualTo("saga 00000000-0000-0000-0000-00000000000b (ReserveStockSaga, priority 2)"
                + " waits for SHARED on account:7 queued behind the EXCLUSIVE request of"
                + " saga 00000000-0000-0000-0000-00000000000c (ShipmentSaga, priority 2),"
                + " which waits for EXCLUSIVE on order:9 held UPDATE by"
                + " saga 00000000-0000-0000-0000-00000000000a (CreateOrderSaga, priority 2),"
                + " which waits for EXCLUSIVE on sku:1 held EXCLUSIVE by saga 00000000-0000-0000-0000-00000000000b."
                + " Victim: saga 00000000-0000-0000-0000-00000000000b, shortest running (PT5S) among priority 2.");
        assertMentionsEverything(text, r, nodes);
    }

    @Test
    void a_tie_on_everything_names_the_id_rule() {
        SagaNode first = new SagaNode(a, "CreateOrderSaga", 0, NOW.minusSeconds(7), false, false);
        SagaNode second = new SagaNode(b, "CreateOrderSaga", 0, NOW.minusSeconds(7), false, false);
        Map<UUID, SagaNode> nodes = Map.of(a, first, b, second);
        List<WaitEdge> edges = List.of(
                new WaitEdge(a, b, "sku:1", UPDATE, UPDATE, Kind.HARD, SINCE),
                new WaitEdge(b, a, "sku:2", SHARED, EXCLUSIVE, Kind.HARD, SINCE));

        DeadlockFinder.Resolution r = only(edges, nodes);

        assertThat(text(r, nodes)).isEqualTo("saga 00000000-0000-0000-0000-00000000000b (CreateOrderSaga, priority 0)"
                + " waits for SHARED on sku:2 held EXCLUSIVE by"
                + " saga 00000000-0000-0000-0000-00000000000a (CreateOrderSaga, priority 0),"
                + " which waits for UPDATE on sku:1 held UPDATE by saga 00000000-0000-0000-0000-00000000000b."
                + " Victim: saga 00000000-0000-0000-0000-00000000000b,"
                + " highest id among sagas of priority 0 that started at the same time.");
    }

    @Test
    void a_self_wait_is_told_in_one_clause() {
        SagaNode self = new SagaNode(a, "LoopSaga", 4, NOW.minusSeconds(1), false, false);
        List<WaitEdge> cycle = List.of(new WaitEdge(a, a, "sku:1", EXCLUSIVE, SHARED, Kind.HARD, SINCE));

        assertThat(DeadlockReport.text(cycle, Map.of(a, self), self, "lowest priority (4) in the cycle"))
                .isEqualTo("saga 00000000-0000-0000-0000-00000000000a (LoopSaga, priority 4)"
                        + " waits for EXCLUSIVE on sku:1 held SHARED by saga 00000000-0000-0000-0000-00000000000a."
                        + " Victim: saga 00000000-0000-0000-0000-00000000000a, lowest priority (4) in the cycle.");
    }

    private static void assertMentionsEverything(String text, DeadlockFinder.Resolution r, Map<UUID, SagaNode> nodes) {
        for (WaitEdge e : r.cycle()) {
            SagaNode waiter = nodes.get(e.waiter());
            assertThat(text).contains("saga " + waiter.id() + " (" + waiter.type() + ", priority " + waiter.priority() + ")");
            assertThat(text).contains(" waits for " + e.requestedMode() + " on " + e.resource() + " ");
            assertThat(text).contains(e.kind() == Kind.HARD ? " held " + e.heldMode() + " by "
                    : " queued behind the " + e.heldMode() + " request of ");
        }
        assertThat(text).endsWith(". Victim: saga " + r.victim().id() + ", " + r.why() + ".");
    }
}
