package io.sagawarden.execution;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagawarden.saga.CompensationStatus;
import io.sagawarden.saga.SagaRequest;
import io.sagawarden.saga.StepStatus;
import java.time.Instant;

/** One step of a saga in hand: its definition and its progress. Changed rows are marked dirty to be saved. */
public final class StepRun {

    final int index;
    final SagaRequest.Step definition;
    StepStatus status;
    int attempts;
    Instant startedAt;
    Instant endedAt;
    JsonNode response;
    String lastError;
    CompensationStatus compensationStatus;
    int compensationAttempts;
    String compensationLastError;
    /** Some attempt may have reached the participant and taken effect (a timeout, a 5xx, a crash mid-call). */
    boolean mayHaveTakenEffect;
    boolean dirty;

    public StepRun(int index, SagaRequest.Step definition, StepStatus status, int attempts, Instant startedAt,
                   Instant endedAt, JsonNode response, String lastError, CompensationStatus compensationStatus,
                   int compensationAttempts, String compensationLastError, boolean mayHaveTakenEffect) {
        this.index = index;
        this.definition = definition;
        this.status = status;
        this.attempts = attempts;
        this.startedAt = startedAt;
        this.endedAt = endedAt;
        this.response = response;
        this.lastError = lastError;
        this.compensationStatus = compensationStatus;
        this.compensationAttempts = compensationAttempts;
        this.compensationLastError = compensationLastError;
        this.mayHaveTakenEffect = mayHaveTakenEffect;
    }

    public int index() {
        return index;
    }

    public String name() {
        return definition.name();
    }

    public SagaRequest.Step definition() {
        return definition;
    }

    public StepStatus status() {
        return status;
    }

    public int attempts() {
        return attempts;
    }

    public Instant startedAt() {
        return startedAt;
    }

    public Instant endedAt() {
        return endedAt;
    }

    public JsonNode response() {
        return response;
    }

    public String lastError() {
        return lastError;
    }

    public CompensationStatus compensationStatus() {
        return compensationStatus;
    }

    public int compensationAttempts() {
        return compensationAttempts;
    }

    public String compensationLastError() {
        return compensationLastError;
    }

    public boolean isDirty() {
        return dirty;
    }

    /** Still owes a compensation: its action took effect (or may have), and it has not been compensated. */
    boolean awaitsCompensation() {
        return (status == StepStatus.SUCCEEDED || status == StepStatus.FAILED)
                && (compensationStatus == CompensationStatus.NOT_STARTED
                || compensationStatus == CompensationStatus.RUNNING);
    }
}
