package io.sagawarden.saga;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The actions a saga view offers are those its guarded statements would carry out, state by state. */
class SagaActionsTest {

    private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");

    @Test
    void ended_sagas_offer_a_rerun_and_a_failed_one_a_retry_too() {
        assertThat(SagaActions.of(SagaStatus.COMPLETED, null, null, null, NOW)).containsExactly("rerun");
        assertThat(SagaActions.of(SagaStatus.COMPENSATED, null, null, null, NOW)).containsExactly("rerun");
        assertThat(SagaActions.of(SagaStatus.FAILED, null, null, null, NOW)).containsExactly("retry", "rerun");
    }

    @Test
    void a_saga_that_has_not_ended_offers_no_rerun() {
        for (SagaStatus status : SagaStatus.values()) {
            if (!status.isTerminal()) {
                assertThat(SagaActions.of(status, null, null, null, NOW)).doesNotContain("rerun");
            }
        }
    }

    @Test
    void a_saga_going_forward_offers_abort_until_an_abort_is_pending() {
        assertThat(SagaActions.of(SagaStatus.PENDING, null, null, null, NOW)).containsExactly("abort");
        assertThat(SagaActions.of(SagaStatus.WAITING, null, null, null, NOW)).containsExactly("abort");
        assertThat(SagaActions.of(SagaStatus.WAITING, SagaReason.OPERATOR_ABORT, null, null, NOW)).isEmpty();
        assertThat(SagaActions.of(SagaStatus.COMPENSATING, null, "node-1", NOW.plusSeconds(10), NOW)).isEmpty();
    }

    @Test
    void retry_is_offered_only_for_a_running_or_compensating_saga_that_no_node_holds() {
        assertThat(SagaActions.of(SagaStatus.RUNNING, null, "node-1", NOW.plusSeconds(10), NOW)).containsExactly("abort");
        assertThat(SagaActions.of(SagaStatus.RUNNING, null, "node-1", NOW.minusSeconds(1), NOW))
                .containsExactly("abort", "retry");
        assertThat(SagaActions.of(SagaStatus.RUNNING, null, null, null, NOW)).containsExactly("abort", "retry");
        assertThat(SagaActions.of(SagaStatus.COMPENSATING, null, null, null, NOW)).containsExactly("retry");
        assertThat(SagaActions.of(SagaStatus.PENDING, null, null, null, NOW)).doesNotContain("retry");
    }
}
