package io.sagawarden.saga;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/** One entry of a saga's history. */
public record EventView(Instant at, String kind, String step, JsonNode detail) {
}
