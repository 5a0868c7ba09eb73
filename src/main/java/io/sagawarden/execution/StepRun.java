package io.sagawarden.execution;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagawarden.saga.CompensationStatus;
import io.sagawarden.saga.SagaRequest;
import io.sagawarden.saga.StepStatus;
import io.sagawarden.saga.StoredSaga;
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

    public StepRun(SagaRequest.Step definition, StoredSaga.Step row) {
        this.index = row.index();
        this.definition = definition;
        this.status = row.status();
        this.attempts = row.attempts();
        this.startedAt = row.startedAt();
        this.endedAt = row.endedAt();
        this.response = row.response();
        this.lastError = row.lastError();
        this.compensationStatus = row.compensationStatus();
        this.compensationAttempts = row.compensationAttempts();
        this.compensationLastError = row.compensationLastError();
        this.mayHaveTakenEffect = row.mayHaveTakenEffect();
    }

    /** The step as its row stores it. */
    StoredSaga.Step row() {
        return new StoredSaga.Step(index, status, attempts, startedAt, endedAt, response, lastError, compensationStatus,
                compensationAttempts, compensationLastError, mayHaveTakenEffect);
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
