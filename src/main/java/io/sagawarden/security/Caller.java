package io.sagawarden.security;

import io.quarkus.security.identity.SecurityIdentity;
import io.sagawarden.problem.QueryParams;
import jakarta.enterprise.context.RequestScoped;
import java.util.Optional;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Who sends the current request and what it may see. With security on, the token alone says who it is
 * ({@code preferred_username}, else {@code sub}); the identity headers are ignored, whatever they claim. With
 * security off, the request names itself in {@code Saga-Submitter} or {@code Saga-Operator}.
 */
@RequestScoped
public class Caller {

    public static final String SUBMITTER_HEADER = "Saga-Submitter";
    public static final String OPERATOR_HEADER = "Saga-Operator";
    /** The longest name the history and the idempotency scope keep. */
    public static final int MAX_NAME_LENGTH = 200;

    private final SecurityIdentity identity;
    private final boolean secured;

    public Caller(SecurityIdentity identity, SecurityConfig config) {
        this.identity = identity;
        this.secured = config.enabled();
    }

    /** The submitter of a saga this request submits: it scopes the Idempotency-Key. */
    public String submitter(String submitterHeader) {
        return name(SUBMITTER_HEADER, submitterHeader, "anonymous");
    }

    /** The {@code by} of an abort, retry or acknowledgement in the history. */
    public String operator(String operatorHeader) {
        return name(OPERATOR_HEADER, operatorHeader, "operator");
    }

    /** Whose sagas alone the caller may see and abort: its own, unless it may read everything. */
    public Optional<String> ownSagasOnly() {
        if (identity.hasRole(Roles.VIEWER) || identity.hasRole(Roles.OPERATOR)) {
            return Optional.empty();
        }
        return Optional.of(submitter(null));
    }

    private String name(String header, String claimed, String fallback) {
        if (secured) {
            return QueryParams.text("token", tokenName(), MAX_NAME_LENGTH);
        }
        return claimed == null ? fallback : QueryParams.text(header, claimed, MAX_NAME_LENGTH);
    }

    private String tokenName() {
        if (identity.getPrincipal() instanceof JsonWebToken token) {
            Object username = token.getClaim("preferred_username");
            if (username instanceof String s && !s.isBlank()) {
                return s;
            }
            return token.getSubject();
        }
        return identity.getPrincipal().getName();
    }
}
