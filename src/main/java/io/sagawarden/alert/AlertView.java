package io.sagawarden.alert;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.UUID;

/** An alert as the API shows it (API.md). */
public record AlertView(UUID id, AlertKind kind, String severity, UUID sagaId, String sagaType, String summary,
                        String description, JsonNode metadata, String state, Instant createdAt, Instant acknowledgedAt,
                        String acknowledgedBy, Instant resolvedAt) {
}
