package io.sagawarden.saga;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagawarden.lock.LockMode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A saga as the API shows it (API.md, "the saga view"). {@code nextAttemptAt} is when a saga that is not running
 * now runs again by itself (a retry's or restart's delay, a waiting saga's lock deadline); {@code rerunOf} and
 * {@code reruns} link a saga run again with {@code POST /api/v1/sagas/{id}/rerun} to its copies, both ways.
 */
public record SagaView(
        UUID id, String type, String submitter, SagaStatus status, SagaReason reason, int priority, Map<String, String> labels,
        Instant createdAt, Instant startedAt, Instant updatedAt, Instant endedAt, Instant nextAttemptAt, String currentStep,
        JsonNode payload, List<Step> steps, List<Lock> locks, WaitingFor waitingFor, String traceId, UUID rerunOf,
        List<UUID> reruns, List<String> actions) {

    /**
     * {@code request} is the action as it is (or would be) sent, or null with {@code requestNote} saying why;
     * {@code calls} are its participant calls and its compensation's, oldest first, the newest
     * {@value ViewHistory#MAX_CALLS_SHOWN} of them, {@code callsOmitted} counting the older ones left out.
     */
    public record Step(String name, StepStatus status, int attempts, Instant startedAt, Instant endedAt, Request request,
                       String requestNote, JsonNode response, String lastError, List<Call> calls, int callsOmitted,
                       Compensation compensation) {
    }

    public record Compensation(CompensationStatus status, int attempts, String lastError, Request request,
                               String requestNote) {
    }

    /** A participant call as rendered for people: secrets are shown as {@value RequestPreviews#REDACTED}. */
    public record Request(String method, String url, Map<String, String> headers, JsonNode body) {
    }

    /**
     * One participant call from the history: {@code kind} {@code action} or {@code compensation}, in run {@code run}
     * of the saga; {@code retryAt} is when the next attempt was due, if a retry was scheduled after it.
     */
    public record Call(String kind, int run, int attempt, Instant at, Integer status, Long durationMs, String outcome,
                       String error, Instant retryAt) {
    }

    public record Lock(String resource, LockMode mode, Instant grantedAt, long fencingToken) {
    }

    public record WaitingFor(String resource, LockMode mode, Instant since, List<UUID> blockedBy) {
    }
}
