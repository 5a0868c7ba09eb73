package io.sagawarden.participant;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.Constraint;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import jakarta.validation.Payload;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * How participants are called: which URLs may be (it must never become an SSRF gateway), timeouts, reply cap. The
 * allow-list is checked while the configuration is read, before anything else starts (Flyway included).
 */
@ConfigMapping(prefix = "saga.participants")
@ParticipantsConfig.AllowListConfigured
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

    /** The allow-list is set, and every entry is one ({@link AllowedUrl#parse}). */
    @Target(ElementType.TYPE)
    @Retention(RetentionPolicy.RUNTIME)
    @Constraint(validatedBy = AllowListValidator.class)
    @interface AllowListConfigured {
        String message() default "saga.participants.allowed-urls is not set: list the participant URLs the orchestrator "
                + "may call, e.g. SAGA_PARTICIPANTS_ALLOWED_URLS='https://*.payments.internal,http://inventory:8080/api'";

        Class<?>[] groups() default {};

        Class<? extends Payload>[] payload() default {};
    }

    class AllowListValidator implements ConstraintValidator<AllowListConfigured, ParticipantsConfig> {
        @Override
        public boolean isValid(ParticipantsConfig config, ConstraintValidatorContext context) {
            List<String> entries = config.allowedUrls().orElse(List.of());
            if (entries.isEmpty()) {
                return false;
            }
            for (String entry : entries) {
                try {
                    AllowedUrl.parse(entry);
                } catch (IllegalArgumentException e) {
                    context.disableDefaultConstraintViolation();
                    // Not a message template: the entry is the operator's text, shown as it is.
                    context.buildConstraintViolationWithTemplate("saga.participants.allowed-urls: "
                            + e.getMessage().replace("{", "\\{").replace("$", "\\$")).addConstraintViolation();
                    return false;
                }
            }
            return true;
        }
    }
}
