package io.sagawarden.execution;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagawarden.participant.CallKind;
import io.sagawarden.saga.CallRendering;
import io.sagawarden.saga.SagaEvent;
import io.sagawarden.saga.SagaMove;
import io.sagawarden.saga.SagaReason;
import io.sagawarden.saga.SagaRequest;
import io.sagawarden.saga.SagaStatus;
import io.sagawarden.saga.StoredSaga;
import io.sagawarden.saga.TraceParent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * A saga in the hands of this node: what the state machine reads and changes. One transition's changes
 * (saga fields, dirty steps, events) are saved together in one transaction, then {@link #clearChanges()}.
 */
public final class SagaRun {

    final UUID id;
    final String type;
    final int priority;
    final SagaRequest definition;
    final JsonNode payload;
    final Instant startedAt;
    final List<StepRun> steps;
    /** The trace its participant calls belong to. */
    final TraceParent trace;
    /** Some step declares locks; a saga none of whose steps does never holds or waits for any. */
    private final boolean takesLocks;
    long version;
    SagaStatus status;
    SagaReason reason;
    int currentStep;
    /** How often the saga restarted after a deadlock; its run is this plus one. */
    int restartCount;
    SagaReason abortRequested;
    /** The abort request as the transition being built found it: its move is saved only if that is still so. */
    private SagaReason abortAtStart;
    /** The fencing token of each lock the saga holds, by resource. */
    final Map<String, Long> fencingTokens = new TreeMap<>();
    /** Since when the saga waits for the locks of its current step, if it does. */
    Instant waitingSince;

    // the outcome of the transition being built
    final List<SagaEvent> events = new ArrayList<>();
    Duration retryAfter;
    /** Set when the transition begins a participant call: how long that call may take. */
    Duration callTimeout;
    boolean progressed;
    boolean abortApplied;
    boolean compensationStarted;
    boolean restarted;

    /** The saga as stored, holding {@code fencingTokens} and waiting since {@code waitingSince} (or null). */
    public SagaRun(StoredSaga stored, Map<String, Long> fencingTokens, Instant waitingSince) {
        this.id = stored.id();
        this.type = stored.type();
        this.priority = stored.priority();
        this.definition = stored.definition();
        this.payload = stored.payload();
        this.startedAt = stored.startedAt();
        this.trace = stored.trace();
        this.takesLocks = definition.steps().stream().anyMatch(step -> !step.locks().isEmpty());
        this.steps = new ArrayList<>();
        for (StoredSaga.Step row : stored.steps()) {
            steps.add(new StepRun(definition.steps().get(row.index()), row));
        }
        this.version = stored.version();
        this.status = stored.status();
        this.reason = stored.reason();
        this.currentStep = stored.currentStep();
        this.restartCount = stored.restartCount();
        this.abortRequested = stored.abortRequested();
        this.abortAtStart = abortRequested;
        this.fencingTokens.putAll(fencingTokens);
        this.waitingSince = waitingSince;
    }

    /**
     * Takes the stored state of {@code fresh}, a new load of this saga, dropping the transition being built: the
     * saga changed under this node (an abort arrived), and its move is decided again from what is stored.
     */
    void reloadFrom(SagaRun fresh) {
        steps.clear();
        steps.addAll(fresh.steps);
        version = fresh.version;
        status = fresh.status;
        reason = fresh.reason;
        currentStep = fresh.currentStep;
        restartCount = fresh.restartCount;
        abortRequested = fresh.abortRequested;
        fencingTokens.clear();
        fencingTokens.putAll(fresh.fencingTokens);
        waitingSince = fresh.waitingSince;
        clearChanges();
    }

    /** This transition as the store saves it, guarded by the version this node knows and its lease. */
    public SagaMove move(String node) {
        return new SagaMove(id, type, version, node, status, reason, currentStep, progressed, callTimeout, retryAfter,
                abortApplied, restarted, abortAtStart, steps.stream().filter(StepRun::isDirty).map(StepRun::row).toList(),
                List.copyOf(events));
    }

    public UUID id() {
        return id;
    }

    public String type() {
        return type;
    }

    public SagaRequest definition() {
        return definition;
    }

    boolean takesLocks() {
        return takesLocks;
    }

    public JsonNode payload() {
        return payload;
    }

    public Instant startedAt() {
        return startedAt;
    }

    public List<StepRun> steps() {
        return steps;
    }

    public long version() {
        return version;
    }

    public SagaStatus status() {
        return status;
    }

    public SagaReason reason() {
        return reason;
    }

    public int currentStep() {
        return currentStep;
    }

    /** Which pass of the saga this is: 1, then one more after each restart. */
    public int runNumber() {
        return restartCount + 1;
    }

    /** The Idempotency-Key of a step's action or compensation in this run ({@link CallRendering#idempotencyKey}). */
    public String idempotencyKey(StepRun step, CallKind kind) {
        return CallRendering.idempotencyKey(id, step.name(), kind, runNumber());
    }

    /** Non-null when this transition begins a participant call: the call's timeout. */
    public Duration callTimeout() {
        return callTimeout;
    }

    public List<SagaEvent> events() {
        return events;
    }

    /** Non-null when the saga waits for a retry: the lease is given up and it runs again after this delay. */
    public Duration retryAfter() {
        return retryAfter;
    }

    public boolean progressed() {
        return progressed;
    }

    /** True when this transition applied a requested abort, so the request is consumed. */
    public boolean abortApplied() {
        return abortApplied;
    }

    /** The saga's deadline from its {@code timeout}, if it has one. */
    public Instant deadline() {
        Duration timeout = definition.timeout();
        return timeout == null || startedAt == null ? null : startedAt.plus(timeout);
    }

    void record(SagaEvent event) {
        events.add(event);
    }

    public void clearChanges() {
        abortAtStart = abortRequested;
        events.clear();
        retryAfter = null;
        callTimeout = null;
        progressed = false;
        abortApplied = false;
        compensationStarted = false;
        restarted = false;
        steps.forEach(s -> s.dirty = false);
    }

    public void requestAbort(SagaReason reason) {
        this.abortRequested = reason;
    }

    public Map<String, Long> fencingTokens() {
        return fencingTokens;
    }

    /** True when this transition restarted a compensated deadlock victim: its locks go, it runs again. */
    public boolean restarted() {
        return restarted;
    }

    /** True when this transition turned the saga to compensation, so it must leave any lock queue. */
    public boolean compensationStarted() {
        return compensationStarted;
    }

    /**
     * The Saga-Fencing-Tokens header: {@code resource=token} pairs, sorted; {@code %}, {@code ,} and {@code =}
     * in a resource are percent-encoded so the list always parses.
     */
    public String fencingTokensHeader() {
        StringBuilder out = new StringBuilder();
        fencingTokens.forEach((resource, token) -> {
            if (!out.isEmpty()) {
                out.append(',');
            }
            out.append(resource.replace("%", "%25").replace(",", "%2C").replace("=", "%3D")).append('=').append(token);
        });
        return out.toString();
    }
}
