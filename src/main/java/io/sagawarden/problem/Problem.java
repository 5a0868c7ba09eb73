package io.sagawarden.problem;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** The RFC 9457 body of every error answer. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String detail, String instance,
                      List<FieldError> errors) {

    public static final String MEDIA_TYPE = "application/problem+json";
    private static final String TYPE_PREFIX = "urn:saga-warden:problem:";

    public static Problem of(String slug, String title, int status, String detail, String instance,
                             List<FieldError> errors) {
        return new Problem(TYPE_PREFIX + slug, title, status, detail, instance, errors);
    }
}
