package io.sagawarden.execution;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.sagawarden.lock.LockGate;
import io.sagawarden.lock.LockMode;
import io.sagawarden.lock.LockRequest;
import io.sagawarden.saga.CompensationStatus;
import io.sagawarden.saga.HttpMethod;
import io.sagawarden.saga.OnDeadlock;
import io.sagawarden.saga.SagaRequest;
import io.sagawarden.saga.SagaStatus;
import io.sagawarden.saga.StepStatus;
import io.sagawarden.saga.StoredSaga;
import io.sagawarden.saga.TraceParent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Sagas in hand for the plain-Java tests of {@link SagaMachine}: {@code aRun().step("a").step("b").build()}. */
final class TestRuns {

    static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");

    private final List<SagaRequest.Step> steps = new ArrayList<>();
    private OnDeadlock onDeadlock = OnDeadlock.COMPENSATE;
    private Duration timeout;
    private Duration lockTimeout;
    private int restartCount;

    static TestRuns aRun() {
        return new TestRuns();
    }

    /** A step with a compensation and no locks. */
    TestRuns step(String name) {
        return step(name, true, List.of(), null);
    }

    TestRuns stepWithoutCompensation(String name) {
        return step(name, false, List.of(), null);
    }

    TestRuns lockedStep(String name, String... exclusiveResources) {
        return step(name, true, List.of(exclusiveResources).stream()
                .map(r -> new SagaRequest.Lock(r, LockMode.EXCLUSIVE)).toList(), null);
    }

    TestRuns retriedStep(String name, int maxAttempts) {
        return step(name, true, List.of(), new SagaRequest.Retry(maxAttempts, Duration.ofMillis(100), 2.0,
                Duration.ofSeconds(1)));
    }

    TestRuns step(String name, boolean compensated, List<SagaRequest.Lock> locks, SagaRequest.Retry retry) {
        SagaRequest.HttpCall action = new SagaRequest.HttpCall(HttpMethod.POST, "http://p/" + name, Map.of(), null, null);
        SagaRequest.HttpCall compensation = compensated
                ? new SagaRequest.HttpCall(HttpMethod.POST, "http://p/undo-" + name, Map.of(), null, Duration.ofSeconds(3))
                : null;
        steps.add(new SagaRequest.Step(name, locks, action, compensation, retry));
        return this;
    }

    TestRuns restartingOnDeadlock() {
        onDeadlock = OnDeadlock.RESTART;
        return this;
    }

    TestRuns timeout(Duration timeout) {
        this.timeout = timeout;
        return this;
    }

    TestRuns lockTimeout(Duration lockTimeout) {
        this.lockTimeout = lockTimeout;
        return this;
    }

    TestRuns restarted(int times) {
        this.restartCount = times;
        return this;
    }

    SagaRun build() {
        SagaRequest definition = new SagaRequest("TestSaga", 0, timeout, lockTimeout, Map.of(),
                JsonNodeFactory.instance.objectNode(), onDeadlock, List.copyOf(steps));
        List<StoredSaga.Step> rows = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            rows.add(new StoredSaga.Step(i, StepStatus.PENDING, 0, null, null, null, null,
                    steps.get(i).compensation() == null ? CompensationStatus.NOT_NEEDED : CompensationStatus.NOT_STARTED,
                    0, null, false));
        }
        return new SagaRun(new StoredSaga(UUID.fromString("00000000-0000-0000-0000-0000000000aa"), "TestSaga", 0,
                definition, definition.payload(), T0, 1, SagaStatus.RUNNING, null, 0, restartCount, null,
                TraceParent.ofSaga(UUID.fromString("00000000-0000-0000-0000-0000000000aa")), rows),
                Map.of(), null);
    }

    /** A lock manager in plain Java: grants every lock, except on resources told to be busy, where it queues. */
    static final class FakeLockGate implements LockGate {
        private final Map<String, Long> tokens = new HashMap<>();
        private final java.util.Set<String> busy = new java.util.HashSet<>();
        private final java.util.Set<String> queuedOn = new java.util.HashSet<>();
        private long nextToken = 100;

        FakeLockGate busy(String resource) {
            busy.add(resource);
            return this;
        }

        FakeLockGate free(String resource) {
            busy.remove(resource);
            return this;
        }

        @Override
        public Outcome acquire(UUID saga, List<LockRequest> locks) {
            Map<String, Long> granted = new HashMap<>();
            for (LockRequest request : locks.stream().sorted(java.util.Comparator.comparing(LockRequest::resource)).toList()) {
                if (busy.contains(request.resource())) {
                    return new Queued(queuedOn.add(request.resource()), request.resource(), request.mode(), granted);
                }
                if (!tokens.containsKey(request.resource())) {
                    tokens.put(request.resource(), nextToken++);
                    granted.put(request.resource(), tokens.get(request.resource()));
                }
            }
            return new Granted(granted);
        }
    }
}
