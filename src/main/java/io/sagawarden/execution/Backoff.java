package io.sagawarden.execution;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * A retry policy with exponential backoff and "equal jitter": half the delay is fixed, half random, so retries
 * from many sagas spread out instead of hammering a recovering participant in step.
 */
public record Backoff(int maxAttempts, Duration initial, double multiplier, Duration max) {

    public boolean allowsAnotherAttempt(int attemptsMade) {
        return attemptsMade < maxAttempts;
    }

    /** The delay before the attempt after {@code attemptsMade} attempts; {@code random} yields [0, 1). */
    public Duration delayAfter(int attemptsMade, DoubleSupplier random) {
        double exponential = initial.toMillis() * Math.pow(multiplier, Math.max(0, attemptsMade - 1));
        double capped = Math.min(exponential, max.toMillis());
        return Duration.ofMillis(Math.round(capped / 2 + random.getAsDouble() * capped / 2));
    }
}
