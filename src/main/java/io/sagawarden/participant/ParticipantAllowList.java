package io.sagawarden.participant;

import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.net.URI;
import java.util.List;
import java.util.Optional;

/** Decides whether a participant URL may be called: at submission and again before every call. */
@Startup
@ApplicationScoped
public class ParticipantAllowList {

    private final List<AllowedUrl> allowed;

    @Inject
    public ParticipantAllowList(ParticipantsConfig config) {
        this(config.allowedUrls());
    }

    public ParticipantAllowList(Optional<List<String>> configured) {
        List<String> entries = configured.orElse(List.of());
        if (entries.isEmpty()) {
            throw new IllegalStateException("saga.participants.allowed-urls is not set: list the participant URLs "
                    + "the orchestrator may call, e.g. SAGA_PARTICIPANTS_ALLOWED_URLS="
                    + "'https://*.payments.internal,http://inventory:8080/api'");
        }
        try {
            this.allowed = entries.stream().map(AllowedUrl::parse).toList();
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("saga.participants.allowed-urls: " + e.getMessage(), e);
        }
    }

    public boolean allows(URI url) {
        if (url == null || url.getRawUserInfo() != null || url.getHost() == null) {
            return false;
        }
        return allowed.stream().anyMatch(a -> a.matches(url));
    }
}
