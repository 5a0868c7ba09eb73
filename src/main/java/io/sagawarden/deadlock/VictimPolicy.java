package io.sagawarden.deadlock;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Which saga of a deadlocked group gives way: the lowest priority; among those the shortest running (the
 * latest start, least work lost); among those the highest id, so the same group always yields the same victim.
 */
public final class VictimPolicy {

    /** The victim and, for people, why it was chosen. */
    public record Choice(SagaNode victim, String why) {
    }

    private static final Comparator<SagaNode> MOST_EXPENDABLE_FIRST = Comparator
            .comparingInt(SagaNode::priority)
            .thenComparing(SagaNode::startedAt, Comparator.nullsFirst(Comparator.<Instant>reverseOrder()))
            .thenComparing(n -> n.id().toString(), Comparator.reverseOrder());

    private VictimPolicy() {
    }

    /** The sagas that may be victims, the most expendable first. */
    public static List<SagaNode> mostExpendableFirst(Collection<SagaNode> sagas) {
        return sagas.stream().filter(SagaNode::mayBeVictim).sorted(MOST_EXPENDABLE_FIRST).toList();
    }

    public static Optional<Choice> choose(Collection<SagaNode> group, Instant now) {
        List<SagaNode> candidates = mostExpendableFirst(group);
        if (candidates.isEmpty()) {
            return Optional.empty();
        }
        SagaNode victim = candidates.getFirst();
        List<SagaNode> samePriority = candidates.stream().filter(n -> n.priority() == victim.priority()).toList();
        String why;
        if (samePriority.size() == 1) {
            why = "lowest priority (" + victim.priority() + ") in the cycle";
        } else if (samePriority.stream().filter(n -> java.util.Objects.equals(n.startedAt(), victim.startedAt())).count() == 1) {
            why = "shortest running (" + runningFor(victim, now) + ") among priority " + victim.priority();
        } else {
            why = "highest id among sagas of priority " + victim.priority() + " that started at the same time";
        }
        return Optional.of(new Choice(victim, why));
    }

    static Duration runningFor(SagaNode node, Instant now) {
        return node.startedAt() == null ? Duration.ZERO : Duration.between(node.startedAt(), now);
    }
}
