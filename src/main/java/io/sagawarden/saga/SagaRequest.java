package io.sagawarden.saga;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagawarden.lock.LockMode;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** A saga as a submitter sends it; also the stored definition once defaults are applied. */
public record SagaRequest(
        String type,
        Integer priority,
        Duration timeout,
        Duration lockTimeout,
        Map<String, String> labels,
        JsonNode payload,
        OnDeadlock onDeadlock,
        List<Step> steps) {

    public record Step(String name, List<Lock> locks, HttpCall action, HttpCall compensation, Retry retry) {
    }

    public record Lock(String resource, LockMode mode) {
    }

    public record HttpCall(HttpMethod method, String url, Map<String, String> headers, JsonNode body,
                           Duration timeout) {
    }

    public record Retry(Integer maxAttempts, Duration initialBackoff, Double multiplier, Duration maxBackoff) {
    }
}
