package io.sagawarden.saga;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** One line of a saga listing: the view without its steps, locks and waits. */
public record SagaSummary(UUID id, String type, String submitter, SagaStatus status, SagaReason reason, int priority,
                          Map<String, String> labels, Instant createdAt, Instant startedAt, Instant updatedAt,
                          Instant endedAt, String currentStep) {
}
