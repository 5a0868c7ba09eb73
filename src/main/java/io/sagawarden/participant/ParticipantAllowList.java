package io.sagawarden.execution;

import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.util.List;

/** Decides whether a participant URL may be called: at submission and again before every call. */
@Startup
@ApplicationScoped
public class ParticipantAllowList {

    private final List<AllowedUrl> allowed;

    public ParticipantAllowList(ParticipantsConfig config) {
        List<String> entries = config.allowedUrls().orElse(List.of());
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
