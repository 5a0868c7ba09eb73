package io.sagawarden.deadlock;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.UUID;

/** A recorded deadlock as the API shows it (API.md): its cycle, its victim and why, and the text for people. */
public record DeadlockView(UUID id, Instant detectedAt, String resolution, JsonNode victim, JsonNode cycle, String text) {
}
