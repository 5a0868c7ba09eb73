package io.sagawarden.deadlock;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RoundPacingTest {

    private final RoundPacing pacing = new RoundPacing(Duration.ofMillis(25), Duration.ofSeconds(30));

    @Test
    void a_lone_wait_is_looked_at_at_once_and_one_right_after_a_round_when_the_debounce_has_passed() {
        assertThat(pacing.afterWait(Duration.ofSeconds(5))).isZero();
        assertThat(pacing.afterWait(Duration.ofMillis(25))).isZero();
        assertThat(pacing.afterWait(Duration.ofMillis(10))).isEqualTo(Duration.ofMillis(15));
    }

    @Test
    void unsettled_rounds_back_off_from_twice_the_debounce_to_32_times_it_and_a_settled_one_starts_over() {
        for (long ms : new long[] {50, 100, 200, 400, 800, 800, 800}) {
            assertThat(pacing.afterRound(false)).contains(Duration.ofMillis(ms));
        }
        assertThat(pacing.afterRound(true)).isEmpty();
        assertThat(pacing.afterRound(false)).contains(Duration.ofMillis(50));
    }

    @Test
    void a_retry_never_waits_longer_than_the_sweep() {
        RoundPacing shortSweep = new RoundPacing(Duration.ofMillis(25), Duration.ofMillis(120));

        assertThat(shortSweep.afterRound(false)).contains(Duration.ofMillis(50));
        assertThat(shortSweep.afterRound(false)).contains(Duration.ofMillis(100));
        assertThat(shortSweep.afterRound(false)).isEqualTo(Optional.of(Duration.ofMillis(120)));
    }
}
