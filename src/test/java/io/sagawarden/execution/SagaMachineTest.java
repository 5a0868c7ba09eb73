package io.sagawarden.execution;

import static io.sagawarden.execution.TestRuns.T0;
import static io.sagawarden.execution.TestRuns.aRun;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.sagawarden.participant.CallKind;
import io.sagawarden.participant.CallResult;
import io.sagawarden.saga.CompensationStatus;
import io.sagawarden.saga.SagaEvent;
import io.sagawarden.saga.SagaReason;
import io.sagawarden.saga.SagaStatus;
import io.sagawarden.saga.StepStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The saga lifecycle as plain rules: each transition of docs/state_machine.md, without a database. */
class SagaMachineTest {

    private static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(10);
    private final SagaMachine machine = new SagaMachine(
            new Backoff(3, Duration.ofMillis(100), 2.0, Duration.ofSeconds(1)),
            new Backoff(3, Duration.ofMillis(100), 2.0, Duration.ofSeconds(1)),
            new Backoff(2, Duration.ofMillis(200), 2.0, Duration.ofSeconds(30)),
            DEFAULT_CALL_TIMEOUT, () -> 0.5);
    private final TestRuns.FakeLockGate locks = new TestRuns.FakeLockGate();
    private Instant now = T0;

    private static CallResult ok() {
        return CallResult.ofAction(200, JsonNodeFactory.instance.objectNode().put("id", "r-1"), null, Duration.ofMillis(5));
    }

    private static CallResult answered(int status) {
        return CallResult.ofAction(status, null, null, Duration.ofMillis(5));
    }

    private static CallResult compensated(int status) {
        return CallResult.ofCompensation(status, Duration.ofMillis(5));
    }

    private Optional<PlannedCall> advance(SagaRun run) {
        return machine.advance(run, now, locks);
    }

    private Optional<PlannedCall> after(SagaRun run, PlannedCall call, CallResult result) {
        run.clearChanges();
        return machine.afterCall(run, call, result, now, locks);
    }

    private static List<String> kinds(SagaRun run) {
        return run.events().stream().map(SagaEvent::kind).toList();
    }

    @Test
    void steps_run_in_order_and_the_saga_completes() {
        SagaRun run = aRun().step("reserve").step("charge").build();

        PlannedCall first = advance(run).orElseThrow();
        assertThat(first).isEqualTo(new PlannedCall(0, CallKind.ACTION, 1));
        assertThat(run.callTimeout()).as("the step's call may take the default timeout").isEqualTo(DEFAULT_CALL_TIMEOUT);
        PlannedCall second = after(run, first, ok()).orElseThrow();
        assertThat(second).isEqualTo(new PlannedCall(1, CallKind.ACTION, 1));
        assertThat(run.steps().get(0).status()).isEqualTo(StepStatus.SUCCEEDED);
        assertThat(run.steps().get(0).response().get("id").asText()).isEqualTo("r-1");

        assertThat(after(run, second, ok())).isEmpty();
        assertThat(run.status()).isEqualTo(SagaStatus.COMPLETED);
        assertThat(run.callTimeout()).as("no call in flight once it ended").isNull();
        assertThat(kinds(run)).containsExactly("ACTION_CALLED", "STEP_SUCCEEDED", "COMPLETED");
    }

    @Test
    void a_retryable_failure_waits_for_a_retry_within_the_policy_then_gives_up_and_compensates() {
        SagaRun run = aRun().step("reserve").retriedStep("charge", 2).build();
        PlannedCall charge = after(run, advance(run).orElseThrow(), ok()).orElseThrow();

        assertThat(after(run, charge, answered(503))).isEmpty();
        assertThat(run.retryAfter()).as("3/4 of 100 ms with this random").isEqualTo(Duration.ofMillis(75));
        assertThat(kinds(run)).contains("STEP_RETRY_SCHEDULED");

        run.clearChanges();
        PlannedCall again = advance(run).orElseThrow();
        assertThat(again).isEqualTo(new PlannedCall(1, CallKind.ACTION, 2));
        PlannedCall undo = after(run, again, answered(503)).orElseThrow();

        assertThat(run.status()).isEqualTo(SagaStatus.COMPENSATING);
        assertThat(run.reason()).isEqualTo(SagaReason.STEP_FAILED);
        assertThat(run.steps().get(1).lastError()).startsWith("gave up after 2 attempts");
        assertThat(undo).as("a 5xx may have taken effect: its step is compensated first")
                .isEqualTo(new PlannedCall(1, CallKind.COMPENSATION, 1));
        assertThat(run.callTimeout()).as("the compensation's own timeout").isEqualTo(Duration.ofSeconds(3));
        PlannedCall undoFirst = after(run, undo, compensated(200)).orElseThrow();
        assertThat(undoFirst).isEqualTo(new PlannedCall(0, CallKind.COMPENSATION, 1));
        assertThat(after(run, undoFirst, compensated(404))).as("404: never applied, so done").isEmpty();
        assertThat(run.status()).isEqualTo(SagaStatus.COMPENSATED);
    }

    @Test
    void a_refusal_fails_the_step_at_once_and_only_what_took_effect_is_compensated() {
        SagaRun run = aRun().step("reserve").step("charge").step("ship").build();
        PlannedCall charge = after(run, advance(run).orElseThrow(), ok()).orElseThrow();

        PlannedCall undo = after(run, charge, answered(409)).orElseThrow();

        assertThat(run.steps().get(1).compensationStatus()).isEqualTo(CompensationStatus.NOT_NEEDED);
        assertThat(run.steps().get(2).status()).isEqualTo(StepStatus.SKIPPED);
        assertThat(undo).isEqualTo(new PlannedCall(0, CallKind.COMPENSATION, 1));
    }

    @Test
    void a_reply_that_cannot_be_kept_fails_the_step_which_may_have_taken_effect() {
        SagaRun run = aRun().step("reserve").build();
        PlannedCall reserve = advance(run).orElseThrow();

        PlannedCall undo = after(run, reserve, ok().unrecordable()).orElseThrow();

        assertThat(run.steps().getFirst().status()).isEqualTo(StepStatus.FAILED);
        assertThat(run.steps().getFirst().response()).isNull();
        assertThat(undo).isEqualTo(new PlannedCall(0, CallKind.COMPENSATION, 1));
    }

    @Test
    void compensation_that_keeps_failing_ends_the_saga_failed() {
        SagaRun run = aRun().step("reserve").step("charge").build();
        PlannedCall undo = after(run, after(run, advance(run).orElseThrow(), ok()).orElseThrow(), answered(400))
                .orElseThrow();
        for (int attempt = 1; attempt < 3; attempt++) {
            assertThat(after(run, undo, compensated(500))).isEmpty();
            run.clearChanges();
            undo = advance(run).orElseThrow();
        }
        assertThat(after(run, undo, compensated(500))).isEmpty();

        assertThat(run.status()).isEqualTo(SagaStatus.FAILED);
        assertThat(run.reason()).isEqualTo(SagaReason.COMPENSATION_FAILED);
        assertThat(run.steps().getFirst().compensationStatus()).isEqualTo(CompensationStatus.FAILED);
    }

    @Test
    void an_abort_asked_for_mid_call_is_applied_after_the_outcome_is_recorded() {
        SagaRun run = aRun().step("reserve").step("charge").build();
        PlannedCall reserve = advance(run).orElseThrow();
        run.requestAbort(SagaReason.OPERATOR_ABORT);

        PlannedCall undo = after(run, reserve, ok()).orElseThrow();

        assertThat(run.steps().getFirst().status()).as("the outcome in flight is kept").isEqualTo(StepStatus.SUCCEEDED);
        assertThat(run.reason()).isEqualTo(SagaReason.OPERATOR_ABORT);
        assertThat(run.abortApplied()).isTrue();
        assertThat(undo).isEqualTo(new PlannedCall(0, CallKind.COMPENSATION, 1));
    }

    @Test
    void a_busy_lock_makes_the_saga_wait_until_woken_or_its_lock_timeout() {
        SagaRun run = aRun().lockedStep("take", "sku:1").lockTimeout(Duration.ofSeconds(5)).build();
        locks.busy("sku:1");

        assertThat(advance(run)).isEmpty();
        assertThat(run.status()).isEqualTo(SagaStatus.WAITING);
        assertThat(run.progressed()).as("a new wait is progress").isTrue();
        assertThat(run.retryAfter()).as("woken at its lock deadline at the latest").isEqualTo(Duration.ofSeconds(5));

        run.clearChanges();
        now = T0.plusSeconds(1);
        assertThat(advance(run)).as("woken while still busy: it keeps waiting").isEmpty();
        assertThat(run.progressed()).as("asking again where it waits is no progress").isFalse();

        run.clearChanges();
        now = T0.plusSeconds(5);
        assertThat(advance(run)).isEmpty();
        assertThat(run.status()).isEqualTo(SagaStatus.COMPENSATED);
        assertThat(run.reason()).isEqualTo(SagaReason.LOCK_TIMEOUT);
    }

    @Test
    void a_granted_lock_lets_the_step_run_with_its_fencing_token() {
        SagaRun run = aRun().lockedStep("take", "sku:1").build();
        locks.busy("sku:1");
        advance(run);
        locks.free("sku:1");
        run.clearChanges();

        assertThat(advance(run)).contains(new PlannedCall(0, CallKind.ACTION, 1));
        assertThat(run.fencingTokensHeader()).isEqualTo("sku:1=100");
        assertThat(kinds(run)).contains("LOCKS_GRANTED");
    }

    @Test
    void the_saga_timeout_turns_it_to_compensation() {
        SagaRun run = aRun().step("reserve").step("charge").timeout(Duration.ofSeconds(30)).build();
        PlannedCall charge = after(run, advance(run).orElseThrow(), ok()).orElseThrow();
        now = T0.plusSeconds(31);
        run.clearChanges();

        assertThat(machine.advance(run, now, locks)).as("the step caught running is compensated too")
                .contains(new PlannedCall(1, CallKind.COMPENSATION, 1));
        assertThat(run.reason()).isEqualTo(SagaReason.SAGA_TIMEOUT);
        assertThat(charge.stepIndex()).isEqualTo(1);
    }

    @Test
    void each_run_has_idempotency_keys_of_its_own() {
        SagaRun first = aRun().step("reserve").build();
        SagaRun third = aRun().step("reserve").restarted(2).build();

        assertThat(first.idempotencyKey(first.steps().getFirst(), CallKind.ACTION)).isEqualTo(first.id() + ":reserve:action");
        assertThat(first.idempotencyKey(first.steps().getFirst(), CallKind.COMPENSATION))
                .isEqualTo(first.id() + ":reserve:compensation");
        assertThat(third.idempotencyKey(third.steps().getFirst(), CallKind.ACTION))
                .isEqualTo(third.id() + ":reserve:action:run3");
    }

    @Test
    void a_deadlock_victim_that_asked_to_restart_runs_again_after_a_growing_delay_with_new_keys() {
        SagaRun run = aRun().restartingOnDeadlock().step("reserve").build();
        PlannedCall reserve = advance(run).orElseThrow();
        String firstKey = run.idempotencyKey(run.steps().getFirst(), CallKind.ACTION);
        run.requestAbort(SagaReason.DEADLOCK_VICTIM);
        PlannedCall undo = after(run, reserve, ok()).orElseThrow();

        assertThat(after(run, undo, compensated(200))).isEmpty();

        assertThat(run.status()).isEqualTo(SagaStatus.RUNNING);
        assertThat(run.reason()).isNull();
        assertThat(run.restarted()).isTrue();
        assertThat(run.runNumber()).isEqualTo(2);
        assertThat(run.retryAfter()).as("3/4 of the first restart backoff").isEqualTo(Duration.ofMillis(150));
        assertThat(run.steps().getFirst().status()).isEqualTo(StepStatus.PENDING);
        assertThat(run.steps().getFirst().compensationStatus()).isEqualTo(CompensationStatus.NOT_STARTED);
        assertThat(run.idempotencyKey(run.steps().getFirst(), CallKind.ACTION)).isNotEqualTo(firstKey).endsWith(":run2");

        // The second restart waits twice as long.
        run.clearChanges();
        reserve = advance(run).orElseThrow();
        run.requestAbort(SagaReason.DEADLOCK_VICTIM);
        undo = after(run, reserve, ok()).orElseThrow();
        after(run, undo, compensated(200));
        assertThat(run.runNumber()).isEqualTo(3);
        assertThat(run.retryAfter()).isEqualTo(Duration.ofMillis(300));
    }

    @Test
    void a_victim_that_used_up_its_restarts_ends_compensated() {
        SagaRun run = aRun().restartingOnDeadlock().step("reserve").restarted(2).build();
        PlannedCall reserve = advance(run).orElseThrow();
        run.requestAbort(SagaReason.DEADLOCK_VICTIM);
        PlannedCall undo = after(run, reserve, ok()).orElseThrow();

        assertThat(after(run, undo, compensated(200))).isEmpty();

        assertThat(run.status()).isEqualTo(SagaStatus.COMPENSATED);
        assertThat(run.reason()).isEqualTo(SagaReason.DEADLOCK_VICTIM);
        assertThat(kinds(run)).containsSubsequence("RESTART_LIMIT_REACHED", "COMPENSATED");
    }

    @Test
    void a_restart_never_waits_past_the_saga_deadline() {
        SagaRun run = aRun().restartingOnDeadlock().step("reserve").timeout(Duration.ofSeconds(10)).build();
        PlannedCall reserve = advance(run).orElseThrow();
        run.requestAbort(SagaReason.DEADLOCK_VICTIM);
        PlannedCall undo = after(run, reserve, ok()).orElseThrow();
        now = T0.plusMillis(9_950);

        after(run, undo, compensated(200));

        assertThat(run.retryAfter()).isEqualTo(Duration.ofMillis(50));
    }

    @Test
    void a_victim_of_a_saga_that_asked_to_compensate_does_not_restart() {
        SagaRun run = aRun().step("reserve").build();
        PlannedCall reserve = advance(run).orElseThrow();
        run.requestAbort(SagaReason.DEADLOCK_VICTIM);
        PlannedCall undo = after(run, reserve, ok()).orElseThrow();

        after(run, undo, compensated(200));

        assertThat(run.status()).isEqualTo(SagaStatus.COMPENSATED);
        assertThat(kinds(run)).doesNotContain("RESTARTED", "RESTART_LIMIT_REACHED");
    }

    @Test
    void a_waiting_saga_chosen_as_a_deadlock_victim_leaves_its_queue_and_compensates_what_it_did() {
        SagaRun run = aRun().step("first").lockedStep("second", "sku:1").build();
        locks.busy("sku:1");
        PlannedCall first = advance(run).orElseThrow();
        assertThat(after(run, first, ok())).isEmpty();
        assertThat(run.status()).isEqualTo(SagaStatus.WAITING);
        run.clearChanges();
        run.requestAbort(SagaReason.DEADLOCK_VICTIM);

        PlannedCall undo = advance(run).orElseThrow();

        assertThat(run.status()).isEqualTo(SagaStatus.COMPENSATING);
        assertThat(run.reason()).isEqualTo(SagaReason.DEADLOCK_VICTIM);
        assertThat(run.compensationStarted()).as("it leaves its queue in the same move").isTrue();
        assertThat(run.abortApplied()).isTrue();
        assertThat(run.steps().get(1).status()).as("the step it waited for never ran").isEqualTo(StepStatus.SKIPPED);
        assertThat(undo).isEqualTo(new PlannedCall(0, CallKind.COMPENSATION, 1));
    }

    @Test
    void a_waiting_saga_past_its_timeout_compensates_with_saga_timeout() {
        SagaRun run = aRun().step("first").lockedStep("second", "sku:1").timeout(Duration.ofSeconds(30)).build();
        locks.busy("sku:1");
        after(run, advance(run).orElseThrow(), ok());
        assertThat(run.retryAfter()).as("woken at its saga deadline").isEqualTo(Duration.ofSeconds(30));
        run.clearChanges();
        now = T0.plusSeconds(30);

        assertThat(advance(run)).contains(new PlannedCall(0, CallKind.COMPENSATION, 1));
        assertThat(run.reason()).isEqualTo(SagaReason.SAGA_TIMEOUT);
    }

    @Test
    void a_compensation_that_cannot_be_built_for_a_step_that_never_answered_is_not_needed() {
        SagaRun run = aRun().step("first").build();
        CallResult silence = CallResult.unanswered("no answer within PT10S", Duration.ofSeconds(10), true);
        assertThat(after(run, advance(run).orElseThrow(), silence)).isEmpty();
        run.clearChanges();
        assertThat(after(run, advance(run).orElseThrow(), silence)).isEmpty();
        run.clearChanges();
        // Out of retries: the unanswered step may have taken effect, so it is compensated.
        PlannedCall undo = after(run, advance(run).orElseThrow(), silence).orElseThrow();
        assertThat(undo).isEqualTo(new PlannedCall(0, CallKind.COMPENSATION, 1));

        // Its compensation cannot be built (a template names nothing) and nothing was ever confirmed: nothing to undo.
        assertThat(after(run, undo, CallResult.notCallable("a template resolved to nothing"))).isEmpty();

        assertThat(run.steps().getFirst().compensationStatus()).isEqualTo(CompensationStatus.NOT_NEEDED);
        assertThat(run.status()).isEqualTo(SagaStatus.COMPENSATED);
    }
}
