package io.sagawarden.participant;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.Config;

/**
 * Credentials for participants, referenced by a step's header values as {@code {{secrets.<name>}}} and resolved at
 * call time from configuration: {@code saga.secrets.<name>}, e.g. {@code SAGA_SECRETS_PAYMENTS_TOKEN} from a
 * Kubernetes Secret for {@code payments-token}. The saga stores the reference only; the value is never stored,
 * shown, logged or echoed in an error (see {@link SecretValues}).
 */
@ApplicationScoped
public class ParticipantSecrets {

    /** Lower case, digits and dashes: each name has exactly one environment variable. */
    public static final Pattern NAME = Pattern.compile("[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?");

    private final Config config;

    public ParticipantSecrets(Config config) {
        this.config = config;
    }

    public Optional<String> value(String name) {
        if (!NAME.matcher(name).matches()) {
            return Optional.empty();
        }
        return config.getOptionalValue("saga.secrets." + name, String.class).filter(v -> !v.isEmpty());
    }

    public boolean exists(String name) {
        return value(name).isPresent();
    }
}
