package io.sagawarden.deadlock;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.time.Duration;

/** When the deadlock detector runs. */
@ConfigMapping(prefix = "saga.deadlock")
public interface DeadlockConfig {

    /** The sweep: a round at least this often, whatever happens. */
    @WithDefault("PT30S")
    Duration interval();

    /**
     * The least time between two rounds that waits trigger: a lone wait is looked at at once, and a burst of
     * waits costs a round per debounce rather than a round per wait.
     */
    @WithDefault("PT0.025S")
    Duration debounce();

    /**
     * How many times a deadlock victim submitted with {@code onDeadlock: RESTART} runs again; a victim that has
     * used them up ends COMPENSATED with reason DEADLOCK_VICTIM.
     */
    @WithDefault("10")
    @Min(0) @Max(1000)
    int maxRestarts();

    /**
     * The wait before a victim's first restart; it doubles with every further restart of the same saga, up to
     * {@link #restartMaxBackoff()}, with equal jitter, so that sagas that keep colliding fall out of step.
     */
    @WithDefault("PT0.2S")
    Duration restartBackoff();

    @WithDefault("PT30S")
    Duration restartMaxBackoff();
}
