package io.sagawarden.saga;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** A saga's row and its steps' rows as {@link SagaStore} loads them for a node to work on. */
public record StoredSaga(UUID id, String type, int priority, SagaRequest definition, JsonNode payload, Instant startedAt,
                         long version, SagaStatus status, SagaReason reason, int currentStep, int restartCount,
                         SagaReason abortRequested, TraceParent trace, List<Step> steps) {

    /** One step's row; also what a move saves of each step it changed. */
    public record Step(int index, StepStatus status, int attempts, Instant startedAt, Instant endedAt, JsonNode response,
                       String lastError, CompensationStatus compensationStatus, int compensationAttempts,
                       String compensationLastError, boolean mayHaveTakenEffect) {
    }
}
