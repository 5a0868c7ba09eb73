package io.sagawarden.security;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.Constraint;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import jakarta.validation.Payload;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.Optional;

/**
 * Whether the API asks for tokens, and from whom. It is checked while the configuration is read, before anything
 * else starts (Flyway included): with security on and no provider the service does not start.
 */
@ConfigMapping(prefix = "saga.security")
@SecurityConfig.ProviderConfigured
public interface SecurityConfig {

    /** On in production; dev mode and the tests turn it off unless told otherwise. */
    @WithDefault("true")
    boolean enabled();

    /** The OpenID Connect provider, i.e. {@code quarkus.oidc.auth-server-url} (application.properties passes it on). */
    Optional<String> provider();

    /** The provider's URL as browsers reach it, when it differs from the one the service uses (a cluster-internal name). */
    Optional<String> consoleProvider();

    /** The provider's public client the console logs people in with. */
    @WithDefault("saga-console")
    String consoleClientId();

    /** The provider browsers are sent to. */
    default Optional<String> browserProvider() {
        return consoleProvider().or(this::provider);
    }

    /** Security on needs a provider; off needs saying so. */
    @Target(ElementType.TYPE)
    @Retention(RetentionPolicy.RUNTIME)
    @Constraint(validatedBy = ProviderConfiguredValidator.class)
    @interface ProviderConfigured {
        String message() default "saga.security.enabled is true but no OpenID Connect provider is configured: set "
                + "QUARKUS_OIDC_AUTH_SERVER_URL to the realm's issuer URL (e.g. https://sso.example.com/realms/saga-warden), "
                + "or SAGA_SECURITY_ENABLED=false to run without authentication";

        Class<?>[] groups() default {};

        Class<? extends Payload>[] payload() default {};
    }

    class ProviderConfiguredValidator implements ConstraintValidator<ProviderConfigured, SecurityConfig> {
        @Override
        public boolean isValid(SecurityConfig config, ConstraintValidatorContext context) {
            return !config.enabled() || config.provider().filter(url -> !url.isBlank()).isPresent();
        }
    }
}
