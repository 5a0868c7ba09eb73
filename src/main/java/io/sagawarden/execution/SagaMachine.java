package io.sagawarden.execution;

import io.sagawarden.lock.LockGate;
import io.sagawarden.lock.LockRequest;
import io.sagawarden.participant.CallKind;
import io.sagawarden.participant.CallResult;
import io.sagawarden.saga.CompensationStatus;
import io.sagawarden.saga.OnDeadlock;
import io.sagawarden.saga.SagaEvent;
import io.sagawarden.saga.SagaReason;
import io.sagawarden.saga.SagaRequest;
import io.sagawarden.saga.SagaStatus;
import io.sagawarden.saga.StepStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.DoubleSupplier;

/**
 * The saga lifecycle as plain rules: given a saga in hand, what happens next. Steps run in order; a failed
 * step, a timeout or an abort turns the saga to compensating its steps in reverse order. Every decision
 * changes the {@link SagaRun} in memory and records events; the caller saves the result in one transaction.
 */
public final class SagaMachine {

    private final Backoff actionDefaults;
    private final Backoff compensationRetry;
    private final Backoff restarts;
    private final Duration defaultCallTimeout;
    private final DoubleSupplier random;

    /**
     * @param restarts how often a deadlock victim with {@code onDeadlock: RESTART} may run again
     *                 ({@code maxAttempts}), and how long it waits before each new run
     */
    public SagaMachine(Backoff actionDefaults, Backoff compensationRetry, Backoff restarts, Duration defaultCallTimeout,
                       DoubleSupplier random) {
        this.actionDefaults = actionDefaults;
        this.compensationRetry = compensationRetry;
        this.restarts = restarts;
        this.defaultCallTimeout = defaultCallTimeout;
        this.random = random;
    }

    /**
     * Moves the saga on as far as it can go without a participant; returns the call to make next, if any.
     * Before a step's action runs, {@code locks} must grant all of the step's locks, or the saga waits.
     */
    public Optional<PlannedCall> advance(SagaRun run, Instant now, LockGate locks) {
        while (true) {
            switch (run.status) {
                case WAITING -> {
                    if (run.abortRequested != null) {
                        startCompensation(run, run.abortRequested, now);
                        consumeAbort(run);
                    } else if (lockDeadline(run) != null && !now.isBefore(lockDeadline(run))) {
                        startCompensation(run, SagaReason.LOCK_TIMEOUT, now);
                    } else {
                        // Woken, or its saga timeout is due: ask for the locks again (it keeps its queue places).
                        run.status = SagaStatus.RUNNING;
                    }
                }
                case RUNNING -> {
                    if (run.abortRequested != null) {
                        startCompensation(run, run.abortRequested, now);
                        consumeAbort(run);
                    } else if (run.deadline() != null && !now.isBefore(run.deadline())) {
                        startCompensation(run, SagaReason.SAGA_TIMEOUT, now);
                    } else if (run.currentStep >= run.steps.size()) {
                        finish(run, SagaStatus.COMPLETED, now);
                        return Optional.empty();
                    } else {
                        StepRun step = run.steps.get(run.currentStep);
                        return holdsLocks(run, step, now, locks)
                                ? Optional.of(beginAction(run, step, now)) : Optional.empty();
                    }
                }
                case COMPENSATING -> {
                    // An abort asked for while compensating is moot: compensation is already under way.
                    consumeAbort(run);
                    Optional<StepRun> next = nextToCompensate(run);
                    if (next.isEmpty() && asksToRestart(run)) {
                        if (restarts.allowsAnotherAttempt(run.restartCount)) {
                            restart(run, now);
                            return Optional.empty();
                        }
                        run.record(new SagaEvent.RestartLimitReached(run.restartCount, restarts.maxAttempts()));
                    }
                    if (next.isEmpty()) {
                        finish(run, SagaStatus.COMPENSATED, now);
                        return Optional.empty();
                    }
                    run.currentStep = next.get().index;
                    return Optional.of(beginCompensation(run, next.get(), now));
                }
                default -> {
                    return Optional.empty();
                }
            }
        }
    }

    /** Records what the participant answered, then moves on; returns the call to make next, if any. */
    public Optional<PlannedCall> afterCall(SagaRun run, PlannedCall call, CallResult result, Instant now,
                                           LockGate locks) {
        StepRun step = run.steps.get(call.stepIndex());
        run.record(new SagaEvent.Called(step.name(), call.kind() == CallKind.COMPENSATION, call.attempt(),
                result.httpStatus(), result.duration(), result.outcome().name(), result.error()));
        boolean waiting = call.kind() == CallKind.ACTION
                ? recordAction(run, step, result, now)
                : recordCompensation(run, step, result, now);
        return waiting ? Optional.empty() : advance(run, now, locks);
    }

    /** True when the saga now waits for a retry. */
    private boolean recordAction(SagaRun run, StepRun step, CallResult result, Instant now) {
        step.dirty = true;
        // Sticky: once any attempt may have reached the participant, the step is compensated if it fails.
        step.mayHaveTakenEffect |= result.mayHaveTakenEffect();
        switch (result.outcome()) {
            case SUCCEEDED -> {
                step.status = StepStatus.SUCCEEDED;
                step.response = result.response();
                step.lastError = null;
                step.endedAt = now;
                run.currentStep = step.index + 1;
                run.progressed = true;
                run.record(new SagaEvent.StepSucceeded(step.name(), step.attempts));
                return false;
            }
            case RETRYABLE -> {
                Backoff policy = actionPolicy(step.definition);
                step.lastError = result.error();
                if (policy.allowsAnotherAttempt(step.attempts) && run.abortRequested == null) {
                    Duration delay = untilDeadline(run, policy.delayAfter(step.attempts, random), now);
                    run.retryAfter = delay;
                    run.record(new SagaEvent.RetryScheduled(step.name(), false, step.attempts, delay, result.error()));
                    return true;
                }
                failStep(run, step, result, now, "gave up after " + step.attempts + " attempts: " + result.error());
                return false;
            }
            default -> {
                failStep(run, step, result, now, result.error());
                return false;
            }
        }
    }

    private boolean recordCompensation(SagaRun run, StepRun step, CallResult result, Instant now) {
        step.dirty = true;
        if (result.outcome() == CallResult.Outcome.SUCCEEDED) {
            step.compensationStatus = CompensationStatus.COMPENSATED;
            step.compensationLastError = null;
            run.progressed = true;
            run.record(new SagaEvent.StepCompensated(step.name(), step.compensationAttempts, run.reason));
            return false;
        }
        step.compensationLastError = result.error();
        if (result.outcome() == CallResult.Outcome.RETRYABLE
                && compensationRetry.allowsAnotherAttempt(step.compensationAttempts)) {
            Duration delay = compensationRetry.delayAfter(step.compensationAttempts, random);
            run.retryAfter = delay;
            run.record(new SagaEvent.RetryScheduled(step.name(), true, step.compensationAttempts, delay, result.error()));
            return true;
        }
        boolean notCallable = result.outcome() == CallResult.Outcome.PERMANENT && result.httpStatus() == null;
        if (notCallable && step.status == StepStatus.FAILED && step.response == null) {
            // The action was never confirmed and its compensation cannot even be built: nothing to undo.
            step.compensationStatus = CompensationStatus.NOT_NEEDED;
            run.record(new SagaEvent.CompensationNotNeeded(step.name(), result.error()));
            return false;
        }
        step.compensationStatus = CompensationStatus.FAILED;
        run.record(new SagaEvent.CompensationFailed(step.name(), step.compensationAttempts, result.error()));
        run.reason = SagaReason.COMPENSATION_FAILED;
        finish(run, SagaStatus.FAILED, now);
        return false;
    }

    /**
     * Asks for the step's locks. All granted, the saga goes on; otherwise it waits, WAITING, holding those it was
     * granted, until a release wakes it, its lock timeout passes or its saga timeout does.
     */
    private boolean holdsLocks(SagaRun run, StepRun step, Instant now, LockGate locks) {
        List<SagaRequest.Lock> declared = step.definition.locks();
        if (declared == null || declared.isEmpty()) {
            return true;
        }
        LockGate.Outcome outcome = locks.acquire(run.id,
                declared.stream().map(l -> new LockRequest(l.resource(), l.mode())).toList());
        if (outcome instanceof LockGate.Granted granted) {
            run.fencingTokens.putAll(granted.fencingTokens());
            if (!granted.fencingTokens().isEmpty()) {
                run.record(new SagaEvent.LocksGranted(step.name(), granted.fencingTokens(),
                        run.waitingSince == null ? null : Duration.between(run.waitingSince, now)));
            }
            run.waitingSince = null;
            return true;
        }
        LockGate.Queued queued = (LockGate.Queued) outcome;
        run.fencingTokens.putAll(queued.fencingTokens());
        if (!queued.fencingTokens().isEmpty()) {
            run.record(new SagaEvent.LocksGranted(step.name(), queued.fencingTokens(), null));
        }
        run.status = SagaStatus.WAITING;
        if (queued.newly()) {
            // A new queue is a move forward: it was granted where it waited before, or it just started waiting.
            run.progressed = true;
            if (run.waitingSince == null) {
                run.waitingSince = now;
            }
            run.record(new SagaEvent.WaitingForLock(step.name(), queued.resource(), queued.mode()));
        }
        run.retryAfter = earliest(now, lockDeadline(run), run.deadline());
        return false;
    }

    private static Instant lockDeadline(SagaRun run) {
        Duration lockTimeout = run.definition.lockTimeout();
        return lockTimeout == null || run.waitingSince == null ? null : run.waitingSince.plus(lockTimeout);
    }

    /** How long until the first of the deadlines, or null when there is none. */
    private static Duration earliest(Instant now, Instant a, Instant b) {
        Instant first = a == null ? b : b == null ? a : a.isBefore(b) ? a : b;
        if (first == null) {
            return null;
        }
        Duration left = Duration.between(now, first);
        return left.isNegative() ? Duration.ZERO : left;
    }

    private PlannedCall beginAction(SagaRun run, StepRun step, Instant now) {
        step.dirty = true;
        step.status = StepStatus.RUNNING;
        step.attempts++;
        if (step.startedAt == null) {
            step.startedAt = now;
        }
        run.callTimeout = timeoutOf(step.definition.action());
        run.record(new SagaEvent.CallStarted(step.name(), false, step.attempts));
        return new PlannedCall(step.index, CallKind.ACTION, step.attempts);
    }

    private PlannedCall beginCompensation(SagaRun run, StepRun step, Instant now) {
        step.dirty = true;
        step.compensationStatus = CompensationStatus.RUNNING;
        step.compensationAttempts++;
        run.callTimeout = timeoutOf(step.definition.compensation());
        run.record(new SagaEvent.CallStarted(step.name(), true, step.compensationAttempts));
        return new PlannedCall(step.index, CallKind.COMPENSATION, step.compensationAttempts);
    }

    /** The step failed for good; an abort asked for meanwhile stays the reason the saga compensates. */
    private void failStep(SagaRun run, StepRun step, CallResult result, Instant now, String error) {
        step.status = StepStatus.FAILED;
        step.endedAt = now;
        step.lastError = error;
        step.compensationStatus = step.mayHaveTakenEffect && step.definition.compensation() != null
                ? CompensationStatus.NOT_STARTED : CompensationStatus.NOT_NEEDED;
        run.record(new SagaEvent.StepFailed(step.name(), step.attempts, error, step.mayHaveTakenEffect));
        startCompensation(run, run.abortRequested != null ? run.abortRequested : SagaReason.STEP_FAILED, now);
        consumeAbort(run);
    }

    /**
     * Turns the saga to compensation. A step caught mid-call (after a crash, or by an abort) may have taken
     * effect, so it is compensated too; steps that never ran are skipped.
     */
    void startCompensation(SagaRun run, SagaReason reason, Instant now) {
        for (StepRun step : run.steps) {
            if (step.status == StepStatus.RUNNING) {
                step.dirty = true;
                step.mayHaveTakenEffect = true;
                step.status = StepStatus.FAILED;
                step.endedAt = now;
                step.lastError = "interrupted (" + reason + ") before its outcome was known";
                step.compensationStatus = step.definition.compensation() != null
                        ? CompensationStatus.NOT_STARTED : CompensationStatus.NOT_NEEDED;
            } else if (step.status == StepStatus.PENDING) {
                step.dirty = true;
                step.status = StepStatus.SKIPPED;
                step.compensationStatus = CompensationStatus.NOT_NEEDED;
            }
        }
        run.status = SagaStatus.COMPENSATING;
        run.compensationStarted = true;
        run.retryAfter = null;
        run.waitingSince = null;
        run.reason = reason;
        run.currentStep = Math.min(run.currentStep, run.steps.size() - 1);
        run.progressed = true;
        run.record(new SagaEvent.Compensating(reason));
    }

    private static boolean asksToRestart(SagaRun run) {
        return run.reason == SagaReason.DEADLOCK_VICTIM && run.definition.onDeadlock() == OnDeadlock.RESTART;
    }

    /**
     * A deadlock victim that asked for it runs again from its first step once compensated, as a new run with
     * idempotency keys of its own. It keeps its priority and its start time, so it looks older, not newer, to
     * the next victim choice and cannot starve. It lets go of the saga so its locks are released before it asks
     * for any again, and waits a jittered delay that grows with every restart: going straight back into the
     * contention that made it a victim would only make it one again.
     */
    private void restart(SagaRun run, Instant now) {
        for (StepRun step : run.steps) {
            step.dirty = true;
            step.status = StepStatus.PENDING;
            step.attempts = 0;
            step.startedAt = null;
            step.endedAt = null;
            step.response = null;
            step.lastError = null;
            step.mayHaveTakenEffect = false;
            step.compensationStatus = step.definition.compensation() == null
                    ? CompensationStatus.NOT_NEEDED : CompensationStatus.NOT_STARTED;
            step.compensationAttempts = 0;
            step.compensationLastError = null;
        }
        run.restartCount++;
        Duration delay = untilDeadline(run, restarts.delayAfter(run.restartCount, random), now);
        run.record(new SagaEvent.Restarted(run.reason, run.runNumber(), delay));
        run.status = SagaStatus.RUNNING;
        run.reason = null;
        run.currentStep = 0;
        run.restarted = true;
        run.progressed = true;
        run.fencingTokens.clear();
        run.retryAfter = delay;
    }

    private void finish(SagaRun run, SagaStatus status, Instant now) {
        run.status = status;
        run.progressed = true;
        run.record(new SagaEvent.Ended(status, run.reason,
                run.startedAt == null ? null : Duration.between(run.startedAt, now)));
    }

    private static void consumeAbort(SagaRun run) {
        if (run.abortRequested != null) {
            run.abortApplied = true;
            run.abortRequested = null;
        }
    }

    private static Optional<StepRun> nextToCompensate(SagaRun run) {
        for (int i = Math.min(run.currentStep, run.steps.size() - 1); i >= 0; i--) {
            StepRun step = run.steps.get(i);
            if (step.awaitsCompensation() && step.definition.compensation() != null) {
                return Optional.of(step);
            }
        }
        return Optional.empty();
    }

    private Backoff actionPolicy(SagaRequest.Step step) {
        SagaRequest.Retry r = step.retry();
        if (r == null) {
            return actionDefaults;
        }
        Duration initial = r.initialBackoff() == null ? actionDefaults.initial() : r.initialBackoff();
        Duration max = r.maxBackoff() == null ? actionDefaults.max() : r.maxBackoff();
        return new Backoff(r.maxAttempts() == null ? actionDefaults.maxAttempts() : r.maxAttempts(), initial,
                r.multiplier() == null ? actionDefaults.multiplier() : r.multiplier(),
                max.compareTo(initial) < 0 ? initial : max);
    }

    private Duration timeoutOf(SagaRequest.HttpCall call) {
        return call.timeout() == null ? defaultCallTimeout : call.timeout();
    }

    /** A retry never waits past the saga's deadline: the timeout must fire on time. */
    private static Duration untilDeadline(SagaRun run, Duration delay, Instant now) {
        Instant deadline = run.deadline();
        if (deadline == null) {
            return delay;
        }
        Duration left = Duration.between(now, deadline);
        return left.isNegative() ? Duration.ZERO : left.compareTo(delay) < 0 ? left : delay;
    }
}
