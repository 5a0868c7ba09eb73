package io.sagawarden.testing;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/**
 * The application as production runs it: security on, tokens from the real Keycloak of {@link KeycloakServer}. Where
 * no Keycloak is unpacked the provider is a closed port, and the tests skip in their {@code @BeforeAll}.
 */
public class SecuredProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        String issuer = KeycloakServer.installed() ? KeycloakServer.shared().issuer()
                : "http://127.0.0.1:9/realms/" + KeycloakServer.REALM;
        return Map.of("saga.security.enabled", "true", "quarkus.oidc.auth-server-url", issuer,
                // The recovery monitor stays out of the way of sagas the tests hold still on purpose.
                "saga.recovery.interval", "PT1H");
    }
}
