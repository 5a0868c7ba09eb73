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

    /** How long after a saga starts waiting a round runs, so a burst of waits costs one round. */
    @WithDefault("PT0.025S")
    Duration debounce();
}
