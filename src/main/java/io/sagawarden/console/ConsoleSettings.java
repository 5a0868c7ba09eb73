package io.sagawarden.console;

import io.sagawarden.security.SecurityConfig;
import jakarta.annotation.security.PermitAll;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** What the console needs before anyone logs in: whether to, and where. */
@Path("/console/settings")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Console", description = "The operator console's own settings")
public class ConsoleSettings {

    /**
     * @param security whether the API asks for tokens; when it does not, the console says so on every page
     * @param provider the OpenID Connect issuer the console logs people in with (authorization code flow, PKCE)
     * @param clientId the provider's public client for the console
     * @param demoSagas whether {@link DemoSagas} has demos to offer (dev mode), so the console asks only then
     */
    public record Settings(boolean security, String provider, String clientId, boolean demoSagas) {
    }

    private final Settings settings;

    public ConsoleSettings(SecurityConfig config, DemoSagas demos) {
        this.settings = config.enabled()
                ? new Settings(true, config.browserProvider().orElseThrow(), config.consoleClientId(), demos.offered())
                : new Settings(false, null, null, demos.offered());
    }

    @GET
    @PermitAll
    @Operation(summary = "The console's settings", description = "Open to everyone: it only says where to log in.")
    public Settings settings() {
        return settings;
    }
}
