package io.sagawarden.retention;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.time.Duration;

/** How long ended sagas and the records around them are kept. */
@ConfigMapping(prefix = "saga.retention")
public interface RetentionConfig {

    /**
     * How long after it ended a COMPLETED or COMPENSATED saga is kept, with its steps and history; also the age
     * past which deadlock records, resolved alerts and delivered alert notifications go. FAILED sagas stay until an
     * operator acts.
     */
    @WithDefault("P30D")
    Duration ended();

    /** How often the leader purges. */
    @WithDefault("PT5M")
    Duration interval();

    /**
     * The rest after each batch: a purge of a large backlog takes no more than its share of the database, so the
     * sagas that run meanwhile keep their pace (a batch of 500 sagas takes about 70 ms on two cores).
     */
    @WithDefault("PT0.2S")
    Duration pause();

    /** Rows deleted per transaction: small, so that no purge holds a lock that a running saga waits for long. */
    @WithDefault("500")
    @Min(1) @Max(10000)
    int batchSize();
}
