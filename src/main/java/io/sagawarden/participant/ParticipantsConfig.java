package io.sagawarden.participant;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** How participants are called: which URLs may be (it must never become an SSRF gateway), timeouts, reply cap. */
@ConfigMapping(prefix = "saga.participants")
public interface ParticipantsConfig {

    /**
     * Entries of the form {@code scheme://host[:port][/path-prefix]} (see {@link AllowedUrl}). Dev and test
     * default to loopback; in production the service refuses to start without an explicit list.
     */
    Optional<List<String>> allowedUrls();

    /** Timeout of a participant call that does not set its own. */
    @WithDefault("PT10S")
    Duration defaultCallTimeout();

    /** TCP connect timeout of every participant call. */
    @WithDefault("PT5S")
    Duration connectTimeout();

    /** Largest participant reply kept as a step's response. */
    @WithDefault("262144")
    @Min(0) @Max(16777216)
    int maxResponseBytes();
}
