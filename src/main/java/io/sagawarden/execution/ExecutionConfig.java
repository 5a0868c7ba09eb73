package io.sagawarden.execution;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.time.Duration;

/** How this node runs sagas. */
@ConfigMapping(prefix = "saga.execution")
public interface ExecutionConfig {

    /** Set false to run a node that only serves the API. */
    @WithDefault("true")
    boolean enabled();

    /** Sagas this node works on at once (each on its own virtual thread). */
    @WithDefault("64")
    @Min(1) @Max(10000)
    int concurrency();

    /** Most sagas claimed by one statement. */
    @WithDefault("32")
    @Min(1) @Max(1000)
    int claimBatch();

    /** How long a claim holds without a heartbeat; an expired lease is how a dead node's sagas are recovered. */
    @WithDefault("PT30S")
    Duration lease();

    /** How often the leases of sagas in hand are renewed; well below {@link #lease()}. */
    @WithDefault("PT10S")
    Duration heartbeat();

    /** The fallback poll for due retries and expired leases when no notification arrives. */
    @WithDefault("PT1S")
    Duration pollInterval();

    RetryDefaults actionRetry();

    CompensationRetry compensationRetry();

    /** Retries of an action whose step sets no retry policy. */
    interface RetryDefaults {
        @WithDefault("3")
        @Min(1) @Max(10000)
        int maxAttempts();

        @WithDefault("PT0.5S")
        Duration initialBackoff();

        @WithDefault("2.0")
        @DecimalMin("1.0") @DecimalMax("100.0")
        double multiplier();

        @WithDefault("PT30S")
        Duration maxBackoff();
    }

    /** Retries of every compensation: they must not give up easily. */
    interface CompensationRetry {
        @WithDefault("10")
        @Min(1) @Max(10000)
        int maxAttempts();

        @WithDefault("PT1S")
        Duration initialBackoff();

        @WithDefault("2.0")
        @DecimalMin("1.0") @DecimalMax("100.0")
        double multiplier();

        @WithDefault("PT5M")
        Duration maxBackoff();
    }
}
