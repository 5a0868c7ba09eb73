package io.sagawarden.deadlock;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
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
}
