package io.sagawarden.saga;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** What the saga view reads from the history: the calls of each step, and where a rerun came from and went. */
class ViewHistoryTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Instant T0 = Instant.parse("2026-11-22T00:49:00Z");

    private final List<EventView> events = new ArrayList<>();
    private Instant at = T0;

    private void recorded(SagaEvent event) {
        at = at.plusMillis(100);
        events.add(new EventView(at, event.kind(), event.step(), MAPPER.valueToTree(event.detail())));
    }

    @Test
    void each_step_lists_its_calls_with_when_the_retry_after_each_was_due() {
        recorded(new SagaEvent.Submitted("svc", null));
        recorded(new SagaEvent.Called("charge", false, 1, 503, Duration.ofMillis(12), "RETRYABLE", "participant answered HTTP 503"));
        recorded(new SagaEvent.RetryScheduled("charge", false, 1, Duration.ofSeconds(2), "participant answered HTTP 503"));
        Instant retried = at;
        recorded(new SagaEvent.Called("charge", false, 2, 200, Duration.ofMillis(8), "SUCCEEDED", null));
        recorded(new SagaEvent.Called("charge", true, 1, null, Duration.ofMillis(10_000), "RETRYABLE", "no answer in 10 s"));

        ViewHistory history = ViewHistory.of(events);

        List<SagaView.Call> calls = history.calls("charge").shown();
        assertThat(calls).extracting(SagaView.Call::kind).containsExactly("action", "action", "compensation");
        assertThat(calls).extracting(SagaView.Call::attempt).containsExactly(1, 2, 1);
        assertThat(calls.get(0).retryAt()).isEqualTo(retried.plusSeconds(2));
        assertThat(calls.get(0).status()).isEqualTo(503);
        assertThat(calls.get(0).error()).isEqualTo("participant answered HTTP 503");
        assertThat(calls.get(1).retryAt()).isNull();
        assertThat(calls.get(2).status()).isNull();
        assertThat(calls.get(2).durationMs()).isEqualTo(10_000L);
        assertThat(history.calls("other").shown()).isEmpty();
        assertThat(history.rerunOf()).isNull();
        assertThat(history.reruns()).isEmpty();
    }

    @Test
    void calls_of_a_restarted_saga_name_their_run() {
        recorded(new SagaEvent.Called("debit", false, 1, 200, Duration.ofMillis(5), "SUCCEEDED", null));
        recorded(new SagaEvent.Restarted(SagaReason.DEADLOCK_VICTIM, 2, Duration.ofMillis(200)));
        recorded(new SagaEvent.Called("debit", false, 1, 200, Duration.ofMillis(5), "SUCCEEDED", null));

        assertThat(ViewHistory.of(events).calls("debit").shown()).extracting(SagaView.Call::run).containsExactly(1, 2);
    }

    @Test
    void a_rerun_is_linked_to_what_it_copies_and_an_original_to_its_copies() {
        UUID original = UUID.randomUUID();
        UUID first = UUID.randomUUID();
        UUID second = UUID.randomUUID();
        recorded(new SagaEvent.Submitted("svc", null, original, "otto"));
        recorded(new SagaEvent.RerunSubmitted(first, "otto", "k-1"));
        recorded(new SagaEvent.RerunSubmitted(second, "alice", null));

        ViewHistory history = ViewHistory.of(events);

        assertThat(history.rerunOf()).isEqualTo(original);
        assertThat(history.reruns()).containsExactly(first, second);
    }

    @Test
    void a_long_run_of_calls_keeps_the_newest_and_counts_the_rest() {
        for (int attempt = 1; attempt <= ViewHistory.MAX_CALLS_SHOWN + 7; attempt++) {
            recorded(new SagaEvent.Called("poll", false, attempt, 503, Duration.ofMillis(1), "RETRYABLE", "busy"));
        }

        ViewHistory.Calls calls = ViewHistory.of(events).calls("poll");

        assertThat(calls.shown()).hasSize(ViewHistory.MAX_CALLS_SHOWN);
        assertThat(calls.shown().getFirst().attempt()).isEqualTo(8);
        assertThat(calls.omitted()).isEqualTo(7);
    }
}
