package io.sagawarden.saga;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Positive;
import java.time.Duration;

/** What a submitted saga may contain. Checked at start-up; the database CHECKs hold the outer bounds. */
@ConfigMapping(prefix = "saga.limits")
public interface SagaLimits {

    @WithDefault("100")
    @Min(1) @Max(1000)
    int maxSteps();

    @WithDefault("32")
    @Min(0) @Max(1000)
    int maxLocksPerStep();

    /** Largest accepted request body; a larger one is answered 413. */
    @WithDefault("1048576")
    @Positive
    int maxBodyBytes();

    /** Longest request target (path and query); a longer one is answered 414. */
    @WithDefault("4096")
    @Min(256) @Max(16384)
    int maxUriLength();

    /** Largest request header block, names and values; a larger one is answered 431. */
    @WithDefault("16384")
    @Min(1024) @Max(65536)
    int maxHeaderBytes();

    @WithDefault("0")
    @Min(0) @Max(1000)
    int minPriority();

    @WithDefault("1000")
    @Min(0) @Max(1000)
    int maxPriority();

    @WithDefault("200")
    @Min(1) @Max(200)
    int maxResourceKeyLength();

    @WithDefault("PT0.1S")
    Duration minDuration();

    @WithDefault("P30D")
    Duration maxDuration();

    @WithDefault("32")
    @Min(0) @Max(1000)
    int maxLabels();

    @WithDefault("200")
    @Min(1) @Max(10000)
    int maxLabelValueLength();

    @WithDefault("32")
    @Min(0) @Max(1000)
    int maxHeaders();

    @WithDefault("100")
    @Min(1) @Max(10000)
    int maxAttempts();

    @WithDefault("100.0")
    double maxMultiplier();
}
