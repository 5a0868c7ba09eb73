package io.sagawarden.saga;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagawarden.lock.LockMode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** A saga as the API shows it (API.md, "the saga view"). */
public record SagaView(
        UUID id, String type, String submitter, SagaStatus status, SagaReason reason, int priority, Map<String, String> labels,
        Instant createdAt, Instant startedAt, Instant updatedAt, Instant endedAt, String currentStep,
        List<Step> steps, List<Lock> locks, WaitingFor waitingFor, String traceId, List<String> actions) {

    public record Step(String name, StepStatus status, int attempts, Instant startedAt, Instant endedAt,
                       JsonNode response, String lastError, Compensation compensation) {
    }

    public record Compensation(CompensationStatus status, int attempts, String lastError) {
    }

    public record Lock(String resource, LockMode mode, Instant grantedAt, long fencingToken) {
    }

    public record WaitingFor(String resource, LockMode mode, Instant since, List<UUID> blockedBy) {
    }
}
