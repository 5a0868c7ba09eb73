package io.sagawarden.problem;

import java.util.List;

/**
 * The one exception family the API answers with; each subclass fixes its HTTP status and problem type,
 * and {@link ProblemMapper} turns it into RFC 9457 {@code application/problem+json}.
 */
public abstract sealed class ProblemException extends RuntimeException
        permits ProblemException.BadRequest, ProblemException.Unprocessable, ProblemException.NotFound,
        ProblemException.Conflict, ProblemException.PayloadTooLarge, ProblemException.UnsupportedMediaType {

    private final int status;
    private final String slug;
    private final String title;
    private final List<FieldError> errors;

    private ProblemException(int status, String slug, String title, String detail, List<FieldError> errors) {
        super(detail);
        this.status = status;
        this.slug = slug;
        this.title = title;
        this.errors = List.copyOf(errors);
    }

    public int status() {
        return status;
    }

    public String slug() {
        return slug;
    }

    public String title() {
        return title;
    }

    public List<FieldError> errors() {
        return errors;
    }

    /** Malformed or invalid input: bad JSON, an unknown or missing field, a value out of range. */
    public static final class BadRequest extends ProblemException {
        public BadRequest(String detail, List<FieldError> errors) {
            super(400, "invalid-request", "The request is invalid", detail, errors);
        }
    }

    /** Well-formed input that is not allowed (allow-list, duplicate step names, forward templates). */
    public static final class Unprocessable extends ProblemException {
        public Unprocessable(String detail, List<FieldError> errors) {
            super(422, "not-allowed", "The request is not allowed", detail, errors);
        }
    }

    /** Nothing with this {@code id} (the path parameter), or nothing the caller may see. */
    public static final class NotFound extends ProblemException {
        public NotFound(String detail) {
            super(404, "not-found", "Not found", detail, List.of(new FieldError("id", "names nothing here")));
        }
    }

    public static final class Conflict extends ProblemException {
        public Conflict(String detail) {
            super(409, "conflict", "Conflict", detail, List.of());
        }
    }

    public static final class PayloadTooLarge extends ProblemException {
        public PayloadTooLarge(String detail) {
            super(413, "payload-too-large", "The request body is too large", detail,
                    List.of(new FieldError("body", "is too large")));
        }
    }

    /** A body that is not {@code application/json}, or none declared: a form or a plain-text post from another site. */
    public static final class UnsupportedMediaType extends ProblemException {
        public UnsupportedMediaType(String detail) {
            super(415, "unsupported-media-type", "The body must be application/json", detail,
                    List.of(new FieldError("Content-Type", "must be application/json")));
        }
    }
}
