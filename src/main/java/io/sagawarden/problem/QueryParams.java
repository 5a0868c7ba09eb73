package io.sagawarden.problem;

import java.util.Arrays;
import java.util.List;

/**
 * Parses query parameters by hand: JAX-RS answers 404 when it cannot convert one, and a client that sent a
 * bad value deserves a 400 naming the parameter.
 */
public final class QueryParams {

    private QueryParams() {
    }

    public static int intParam(String name, String value, int fallback, int min, int max) {
        if (value == null || value.isEmpty()) {
            return fallback;
        }
        try {
            int parsed = Integer.parseInt(value);
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw bad(name, "must be a whole number between " + min + " and " + max);
    }

    public static <E extends Enum<E>> E enumParam(String name, String value, Class<E> type) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        for (E constant : type.getEnumConstants()) {
            if (constant.name().equalsIgnoreCase(value)) {
                return constant;
            }
        }
        throw bad(name, "must be one of " + Arrays.toString(type.getEnumConstants()));
    }

    public static java.util.UUID uuidParam(String name, String value) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        try {
            return java.util.UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            throw bad(name, "must be an id (UUID)");
        }
    }

    /** A text a header or claim carries: absent is fine, blank or longer than {@code max} is a 400 naming it. */
    public static String text(String name, String value, int max) {
        if (value == null) {
            return null;
        }
        if (value.isBlank()) {
            throw bad(name, "must not be blank");
        }
        if (value.length() > max) {
            throw bad(name, "must be at most " + max + " characters");
        }
        return value;
    }

    public static ProblemException bad(String name, String message) {
        return new ProblemException.BadRequest(name + " " + message, List.of(new FieldError(name, message)));
    }
}
