package io.sagawarden.deadlock;

import io.sagawarden.lock.LockQueue;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Tells a deadlock to a person: who waits for what, held by whom, round the cycle, and who gave way. */
public final class DeadlockReport {

    private DeadlockReport() {
    }

    public static String text(List<WaitEdge> cycle, Map<UUID, SagaNode> nodes, SagaNode victim, String why) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < cycle.size(); i++) {
            WaitEdge edge = cycle.get(i);
            if (i == 0) {
                out.append(describe(nodes.get(edge.waiter())));
            } else {
                out.append(", which");
            }
            out.append(" waits for ").append(edge.requestedMode()).append(" on ").append(edge.resource());
            boolean closes = i == cycle.size() - 1;
            String holder = closes ? "saga " + edge.holder() : describe(nodes.get(edge.holder()));
            if (edge.kind() == LockQueue.Kind.HARD) {
                out.append(" held ").append(edge.heldMode()).append(" by ").append(holder);
            } else {
                out.append(" queued behind the ").append(edge.heldMode()).append(" request of ").append(holder);
            }
        }
        return out.append(". Victim: saga ").append(victim.id()).append(", ").append(why).append('.').toString();
    }

    private static String describe(SagaNode node) {
        return "saga " + node.id() + " (" + node.type() + ", priority " + node.priority() + ")";
    }
}
