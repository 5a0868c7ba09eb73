package io.sagawarden.deadlock;

import java.time.Duration;
import java.util.Optional;

/**
 * When the detector's next round runs. A wait is looked at at once unless a round ended less than the debounce
 * ago; then as soon as the debounce has passed, so a burst of waits costs a round per debounce. A round that
 * could not settle what it saw is followed by another, twice the debounce later, doubling while that keeps
 * happening up to 32 debounces (or the sweep interval, if shorter). Plain Java; one round thread asks it.
 */
final class RoundPacing {

    private static final int MAX_BACKOFF_DOUBLINGS = 5;

    private final Duration debounce;
    private final Duration sweep;
    /** Rounds in a row that could not settle what they saw. */
    private int unsettledRounds;

    RoundPacing(Duration debounce, Duration sweep) {
        this.debounce = debounce;
        this.sweep = sweep;
    }

    /** How long a round for a new wait waits, the last round having ended {@code sinceLastRound} ago. */
    Duration afterWait(Duration sinceLastRound) {
        Duration rest = debounce.minus(sinceLastRound);
        return rest.isNegative() ? Duration.ZERO : rest;
    }

    /** After a round: how long until the next one, or empty if this one settled everything it saw. */
    Optional<Duration> afterRound(boolean settled) {
        if (settled) {
            unsettledRounds = 0;
            return Optional.empty();
        }
        unsettledRounds = Math.min(unsettledRounds + 1, MAX_BACKOFF_DOUBLINGS);
        Duration again = debounce.multipliedBy(1L << unsettledRounds);
        return Optional.of(again.compareTo(sweep) < 0 ? again : sweep);
    }
}
