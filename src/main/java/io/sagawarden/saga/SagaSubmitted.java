package io.sagawarden.saga;

import java.util.UUID;

/** Fired inside the submitting transaction; observers act once it has committed. */
public record SagaSubmitted(UUID sagaId, int priority) {
}
