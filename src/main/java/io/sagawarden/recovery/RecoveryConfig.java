package io.sagawarden.recovery;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.time.Duration;
import java.util.Map;

/** The stuck and long-running saga monitor. */
@ConfigMapping(prefix = "saga.recovery")
public interface RecoveryConfig {

    /** How often the leader looks for stuck and long-running sagas. */
    @WithDefault("PT30S")
    Duration interval();

    /** A saga that has not moved for longer than this while RUNNING, WAITING or COMPENSATING is stuck. */
    @WithDefault("PT5M")
    Duration stuckAfter();

    /** Retries of a stuck saga's step before it is compensated instead. */
    @WithDefault("3")
    @Min(0) @Max(100)
    int maxRecoveries();

    /** A node whose heartbeat is older than this is taken for dead. */
    @WithDefault("PT30S")
    Duration nodeDeadAfter();

    /** Expected maximum runtime of a saga type without a timeout of its own and not listed below. */
    @WithDefault("PT5M")
    Duration defaultExpectedRuntime();

    /** Expected maximum runtime per saga type; a saga running longer raises a LONG_RUNNING warning. */
    Map<String, Duration> expectedRuntime();
}
