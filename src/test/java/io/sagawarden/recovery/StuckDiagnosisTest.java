package io.sagawarden.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.sagawarden.saga.SagaReason;
import io.sagawarden.saga.SagaStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Stuck means stuck: the rule of {@link StuckDiagnosis} in plain Java, with the clock set by hand. */
class StuckDiagnosisTest {

    private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");
    private static final Duration STUCK_AFTER = Duration.ofMinutes(5);
    private static final Instant LONG_AGO = NOW.minus(Duration.ofMinutes(20));
    private static final Instant JUST_NOW = NOW.minusSeconds(10);

    private final Map<UUID, StuckSaga> known = new HashMap<>();
    private int next = 1;

    private StuckSaga saga(SagaStatus status, Instant progressAt, Instant quietSince, String owner, boolean ownerAlive,
                           int recoveries, List<UUID> blockedBy) {
        StuckSaga saga = new StuckSaga(new UUID(0, next++), "T", 1, status, null, recoveries, progressAt, quietSince, owner,
                ownerAlive, 0, "step", 1, null, blockedBy);
        known.put(saga.id(), saga);
        return saga;
    }

    private StuckSaga running(Instant quietSince) {
        return saga(SagaStatus.RUNNING, LONG_AGO, quietSince, "node-1", true, 0, List.of());
    }

    private StuckSaga waitingFor(UUID... blockers) {
        return saga(SagaStatus.WAITING, LONG_AGO, LONG_AGO, null, false, 0, List.of(blockers));
    }

    private StuckDiagnosis.Verdict verdict(StuckSaga saga) {
        return new StuckDiagnosis(known, NOW.minus(STUCK_AFTER), 3).diagnose(saga.id()).orElse(null);
    }

    @Test
    void a_call_within_its_deadline_is_not_stuck_however_long_since_the_last_progress() {
        // progress 20 minutes ago, call deadline in 20 s: a slow participant, nothing wrong.
        assertThat(verdict(running(NOW.plusSeconds(20)))).isNull();
        // the deadline passed a minute ago: still within stuck-after of it.
        assertThat(verdict(running(NOW.minusSeconds(60)))).isNull();
    }

    @Test
    void a_call_long_past_its_deadline_on_a_live_node_is_a_silent_participant_and_the_step_is_retried_elsewhere() {
        StuckDiagnosis.Verdict verdict = verdict(running(NOW.minus(Duration.ofMinutes(6))));

        assertThat(verdict.cause()).isEqualTo(StuckCause.PARTICIPANT_SILENT);
        assertThat(verdict.action()).isEqualTo(StuckDiagnosis.Action.RETRY);
        assertThat(verdict.takeLease()).isTrue();
    }

    @Test
    void a_retry_due_in_the_future_is_not_stuck() {
        StuckSaga waitingForRetry = saga(SagaStatus.RUNNING, LONG_AGO, NOW.plusSeconds(30), null, false, 0, List.of());
        assertThat(verdict(waitingForRetry)).isNull();
    }

    @Test
    void a_saga_nobody_took_up_long_after_it_was_due_has_no_owner() {
        StuckSaga due = saga(SagaStatus.RUNNING, LONG_AGO, NOW.minus(Duration.ofMinutes(7)), null, false, 0, List.of());

        StuckDiagnosis.Verdict verdict = verdict(due);

        assertThat(verdict.cause()).isEqualTo(StuckCause.NO_OWNER);
        assertThat(verdict.takeLease()).isFalse();
        assertThat(verdict.action()).isEqualTo(StuckDiagnosis.Action.RETRY);
    }

    @Test
    void a_waiter_behind_a_holder_that_makes_progress_is_not_stuck() {
        StuckSaga slowHolder = running(NOW.plusSeconds(20));
        UUID recentlyMoved = new UUID(0, 999);

        assertThat(verdict(waitingFor(slowHolder.id()))).isNull();
        assertThat(verdict(waitingFor(recentlyMoved))).as("a saga the monitor did not need to look at moved recently")
                .isNull();
    }

    @Test
    void a_waiter_that_started_waiting_recently_is_not_stuck() {
        StuckSaga stuckHolder = running(LONG_AGO);
        StuckSaga waiter = saga(SagaStatus.WAITING, JUST_NOW, JUST_NOW, null, false, 0, List.of(stuckHolder.id()));
        assertThat(verdict(waiter)).isNull();
    }

    @Test
    void a_waiter_behind_a_stuck_holder_names_it_and_recovery_acts_on_the_holder_alone() {
        StuckSaga holder = running(LONG_AGO);
        StuckSaga ahead = waitingFor(holder.id());
        StuckSaga behind = waitingFor(holder.id(), ahead.id());

        for (StuckSaga waiter : List.of(ahead, behind)) {
            StuckDiagnosis.Verdict verdict = verdict(waiter);
            assertThat(verdict.cause()).isEqualTo(StuckCause.BLOCKED_ON_LOCK);
            assertThat(verdict.stuckHolder()).isEqualTo(holder.id());
            assertThat(verdict.action()).isEqualTo(StuckDiagnosis.Action.NONE);
            assertThat(verdict.takeLease()).isFalse();
            assertThat(verdict.explanation()).contains(holder.id().toString());
        }
        assertThat(verdict(holder).action()).isEqualTo(StuckDiagnosis.Action.RETRY);
    }

    @Test
    void a_chain_of_waits_comes_down_to_the_holder_at_its_end() {
        StuckSaga holder = running(LONG_AGO);
        StuckSaga middle = waitingFor(holder.id());
        StuckSaga last = waitingFor(middle.id());

        assertThat(verdict(last).stuckHolder()).isEqualTo(holder.id());
    }

    @Test
    void one_stuck_saga_in_the_way_is_enough_even_when_another_makes_progress() {
        StuckSaga progressing = running(NOW.plusSeconds(20));
        StuckSaga stuck = running(LONG_AGO);

        assertThat(verdict(waitingFor(progressing.id(), stuck.id())).stuckHolder()).isEqualTo(stuck.id());
    }

    @Test
    void a_waiter_that_nothing_blocks_any_more_is_about_to_run_and_is_not_stuck() {
        // Its holder let go a moment ago and its wake-up is in flight; the detector's sweep wakes it should it be lost.
        StuckSaga woken = waitingFor();

        assertThat(verdict(woken)).isNull();
        assertThat(verdict(waitingFor(woken.id()))).isNull();
    }

    @Test
    void sagas_waiting_on_each_other_in_a_cycle_that_was_never_broken_are_stuck() {
        UUID a = new UUID(0, 100);
        UUID b = new UUID(0, 101);
        known.put(a, new StuckSaga(a, "T", 1, SagaStatus.WAITING, null, 0, LONG_AGO, LONG_AGO, null, false, 0, "s", 1, null,
                List.of(b)));
        known.put(b, new StuckSaga(b, "T", 1, SagaStatus.WAITING, null, 0, LONG_AGO, LONG_AGO, null, false, 0, "s", 1, null,
                List.of(a)));

        StuckDiagnosis.Verdict verdict = new StuckDiagnosis(known, NOW.minus(STUCK_AFTER), 3).diagnose(a).orElseThrow();

        assertThat(verdict.cause()).isEqualTo(StuckCause.BLOCKED_ON_LOCK);
        assertThat(verdict.stuckHolder()).isNull();
        assertThat(verdict.action()).isEqualTo(StuckDiagnosis.Action.RETRY);
    }

    @Test
    void recovery_retries_then_compensates_then_gives_up() {
        assertThat(verdict(saga(SagaStatus.RUNNING, LONG_AGO, LONG_AGO, null, false, 2, List.of())).action())
                .isEqualTo(StuckDiagnosis.Action.RETRY);
        assertThat(verdict(saga(SagaStatus.RUNNING, LONG_AGO, LONG_AGO, null, false, 3, List.of())).action())
                .isEqualTo(StuckDiagnosis.Action.COMPENSATE);
        assertThat(verdict(saga(SagaStatus.COMPENSATING, LONG_AGO, LONG_AGO, null, false, 3, List.of())).action())
                .isEqualTo(StuckDiagnosis.Action.GIVE_UP);
        StuckSaga askedToCompensate = new StuckSaga(new UUID(0, 200), "T", 1, SagaStatus.RUNNING,
                SagaReason.STUCK_RECOVERY, 3, LONG_AGO, LONG_AGO, null, false, 0, "s", 1, null, List.of());
        known.put(askedToCompensate.id(), askedToCompensate);
        assertThat(verdict(askedToCompensate).action()).isEqualTo(StuckDiagnosis.Action.GIVE_UP);
    }

    @Test
    void a_compensation_that_failed_before_is_named_as_the_cause() {
        StuckSaga compensating = new StuckSaga(new UUID(0, 300), "T", 1, SagaStatus.COMPENSATING, null, 0, LONG_AGO,
                LONG_AGO, null, false, 0, "charge", 4, "HTTP 500", List.of());
        known.put(compensating.id(), compensating);

        StuckDiagnosis.Verdict verdict = verdict(compensating);

        assertThat(verdict.cause()).isEqualTo(StuckCause.COMPENSATION_FAILING);
        assertThat(verdict.explanation()).contains("failed 3 times").contains("HTTP 500");
    }

    @Test
    void a_saga_its_nodes_keep_failing_to_move_is_stuck_although_it_rests_until_later() {
        // Resting after a failed move is not a retry: the quiet time is its last progress.
        StuckSaga failing = new StuckSaga(new UUID(0, 400), "T", 1, SagaStatus.RUNNING, null, 0, LONG_AGO, LONG_AGO, null,
                false, 7, "charge", 1, null, List.of());
        known.put(failing.id(), failing);

        StuckDiagnosis.Verdict verdict = verdict(failing);

        assertThat(verdict.cause()).isEqualTo(StuckCause.MOVE_FAILING);
        assertThat(verdict.explanation()).contains("7 times").contains("charge");
        assertThat(verdict.action()).isEqualTo(StuckDiagnosis.Action.RETRY);
    }
}
