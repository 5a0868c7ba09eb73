package io.sagawarden.security;

import io.quarkus.runtime.StartupEvent;
import io.quarkus.security.identity.IdentityProviderManager;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.quarkus.vertx.http.runtime.security.ChallengeData;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticationMechanism;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * With {@code saga.security.enabled=false} every request acts with every role, as an unsecured service always
 * did; who it is then comes from the {@code Saga-Submitter} and {@code Saga-Operator} headers (see {@link Caller}).
 * With security on this mechanism stands aside and only a valid token authenticates.
 */
@ApplicationScoped
public class OpenAccess implements HttpAuthenticationMechanism {

    static final String PRINCIPAL = "open-access";

    private static final SecurityIdentity EVERY_ROLE = QuarkusSecurityIdentity.builder()
            .setPrincipal(new QuarkusPrincipal(PRINCIPAL))
            .addRole(Roles.SUBMITTER).addRole(Roles.VIEWER).addRole(Roles.OPERATOR)
            .build();

    private static final Logger LOG = Logger.getLogger(OpenAccess.class);

    private final boolean open;

    public OpenAccess(SecurityConfig config) {
        this.open = !config.enabled();
    }

    void warnWhenOpen(@Observes StartupEvent started) {
        if (open) {
            LOG.warn("Security is OFF (saga.security.enabled=false): every request acts with every role, and names "
                    + "itself in Saga-Submitter and Saga-Operator. Set QUARKUS_OIDC_AUTH_SERVER_URL to require tokens.");
        }
    }

    @Override
    public Uni<SecurityIdentity> authenticate(RoutingContext context, IdentityProviderManager identityProviderManager) {
        return open ? Uni.createFrom().item(EVERY_ROLE) : Uni.createFrom().nullItem();
    }

    @Override
    public Uni<ChallengeData> getChallenge(RoutingContext context) {
        return Uni.createFrom().nullItem();
    }

    /** After the token mechanism, so that it is never asked while a token could answer. */
    @Override
    public int getPriority() {
        return DEFAULT_PRIORITY - 100;
    }
}
