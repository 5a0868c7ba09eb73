package io.sagawarden.execution;

import io.smallrye.config.ConfigMapping;
import java.util.List;
import java.util.Optional;

/** Which participant URLs the orchestrator may call; it must never become an SSRF gateway. */
@ConfigMapping(prefix = "saga.participants")
public interface ParticipantsConfig {

    /**
     * Entries of the form {@code scheme://host[:port][/path-prefix]} (see {@link AllowedUrl}). Dev and test
     * default to loopback; in production the service refuses to start without an explicit list.
     */
    Optional<List<String>> allowedUrls();
}
