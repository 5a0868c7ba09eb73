package io.sagawarden.execution;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Retry delays: exponential, capped, and with equal jitter (half fixed, half random). */
class BackoffTest {

    private final Backoff backoff = new Backoff(4, Duration.ofMillis(100), 2.0, Duration.ofMillis(300));

    @Test
    void attempts_are_counted_against_the_maximum() {
        assertThat(backoff.allowsAnotherAttempt(3)).isTrue();
        assertThat(backoff.allowsAnotherAttempt(4)).isFalse();
    }

    @Test
    void the_delay_doubles_up_to_the_cap_with_half_of_it_random() {
        assertThat(backoff.delayAfter(1, () -> 0.0)).isEqualTo(Duration.ofMillis(50));
        assertThat(backoff.delayAfter(1, () -> 0.999)).isBetween(Duration.ofMillis(99), Duration.ofMillis(100));
        assertThat(backoff.delayAfter(2, () -> 0.0)).isEqualTo(Duration.ofMillis(100));
        assertThat(backoff.delayAfter(3, () -> 0.0)).as("400 ms capped at 300").isEqualTo(Duration.ofMillis(150));
        assertThat(backoff.delayAfter(30, () -> 1.0)).isEqualTo(Duration.ofMillis(300));
    }
}
