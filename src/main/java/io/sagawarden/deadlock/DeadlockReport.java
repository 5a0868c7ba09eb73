package io.sagawarden.deadlock;

import io.sagawarden.lock.LockQueue;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Tells a deadlock to a person: who waits for what, held by whom, round the cycle, and who gave way. */
public final class DeadlockReport {

    private DeadlockReport() {
    }

    /** The cycle and its victim, then every saga of the group that the policy chose first and spared. */
    public static String text(DeadlockFinder.Resolution resolution, Map<UUID, SagaNode> nodes) {
        StringBuilder out = new StringBuilder(text(resolution.cycle(), nodes, resolution.victim(), resolution.why()));
        for (DeadlockFinder.Spared spared : resolution.spared()) {
            List<UUID> victims = spared.brokenBy();
            out.append(' ').append(capitalized(describe(spared.saga()))).append(" was spared: aborting ")
                    .append(victims.size() == 1 ? "saga " : "sagas ")
                    .append(String.join(", ", victims.stream().map(UUID::toString).toList()))
                    .append(" breaks every cycle it was on.");
        }
        return out.toString();
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

    private static String capitalized(String text) {
        return Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }

    private static String describe(SagaNode node) {
        return "saga " + node.id() + " (" + node.type() + ", priority " + node.priority() + ")";
    }
}
