package io.sagawarden.problem;

/** One field at fault, named by its JSON path (e.g. {@code steps[0].action.url}). */
public record FieldError(String field, String message) {
}
