package io.sagawarden.execution;

import static io.sagawarden.testing.SagaBuilder.aSaga;
import static io.sagawarden.testing.Sagas.awaitEnd;
import static io.sagawarden.testing.Sagas.submit;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.TestParticipant;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * With OpenTelemetry on, a saga's work is spans of its trace, read back through the SDK's in-memory exporter: a
 * client span per participant call, whose id is the one the participant received, under the request that
 * submitted the saga; a span per transition; the saga's id, type and step on each; nothing recorded for a trace
 * its submitter did not sample; and the saga's log lines carry its saga and trace ids.
 */
@QuarkusTest
@TestProfile(SagaSpansTest.TracingProfile.class)
class SagaSpansTest {

    public static class TracingProfile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.otel.sdk.disabled", "false",
                    // spans exported within a tenth of a second, and none sent to a collector that is not there
                    "quarkus.otel.bsp.schedule.delay", "PT0.1S", "quarkus.otel.exporter.otlp.enabled", "false");
        }
    }

    private static final String SUBMITTER_SPAN = "00f067aa0ba902b7";

    @Inject
    InMemorySpanExporter exporter;

    private TestParticipant participant;

    @BeforeEach
    void startParticipant() {
        participant = TestParticipant.start();
        participant.on("/charge", TestParticipant.json(400, "{}"));
        exporter.reset();
    }

    @AfterEach
    void stopParticipant() {
        participant.close();
    }

    @Test
    void each_call_is_a_client_span_under_the_submitting_request_with_the_id_the_participant_received() {
        String trace = newTraceId();
        String id = submit(aSaga().type("TracedSaga").step("reserve", participant.url("/reserve"))
                .withCompensation(participant.url("/release")).step("charge", participant.url("/charge")),
                "00-" + trace + "-" + SUBMITTER_SPAN + "-01");
        awaitEnd(id);

        List<SpanData> spans = spansUntil(trace, "COMPENSATED");
        SpanData post = spans.stream().filter(s -> s.getKind() == SpanKind.SERVER).findFirst()
                .orElseThrow(() -> new AssertionError("no request span among " + exporter.getFinishedSpanItems()));
        assertThat(post.getParentSpanId()).isEqualTo(SUBMITTER_SPAN);

        List<SpanData> calls = spans.stream().filter(s -> s.getKind() == SpanKind.CLIENT).toList();
        assertThat(calls).extracting(SpanData::getName)
                .containsExactly("reserve action", "charge action", "reserve compensation");
        assertThat(calls).allSatisfy(call -> {
            assertThat(call.getParentSpanId()).isEqualTo(post.getSpanId());
            assertThat(call.getAttributes().get(SagaSpans.SAGA_ID)).isEqualTo(id);
            assertThat(call.getAttributes().get(SagaSpans.SAGA_TYPE)).isEqualTo("TracedSaga");
            assertThat(call.getAttributes().get(SagaSpans.ATTEMPT)).isEqualTo(1L);
            assertThat(call.getAttributes().get(AttributeKey.stringKey("server.address"))).isEqualTo("127.0.0.1");
        });
        assertThat(calls).extracting(c -> c.getAttributes().get(SagaSpans.STEP)).containsExactly("reserve", "charge", "reserve");
        assertThat(calls).extracting(c -> c.getAttributes().get(AttributeKey.longKey("http.response.status_code")))
                .containsExactly(200L, 400L, 200L);
        assertThat(calls).extracting(c -> c.getStatus().getStatusCode())
                .containsExactly(StatusCode.UNSET, StatusCode.ERROR, StatusCode.UNSET);
        assertThat(participant.calls()).extracting(c -> c.header("traceparent"))
                .containsExactlyElementsOf(calls.stream().map(c -> "00-" + trace + "-" + c.getSpanId() + "-01").toList());

        List<SpanData> transitions = spans.stream().filter(s -> s.getName().equals("saga transition")).toList();
        assertThat(transitions).isNotEmpty().allSatisfy(t -> {
            assertThat(t.getParentSpanId()).isEqualTo(post.getSpanId());
            assertThat(t.getAttributes().get(SagaSpans.SAGA_ID)).isEqualTo(id);
        });
        List<String> events = transitions.stream().flatMap(t -> t.getAttributes().get(SagaSpans.EVENTS).stream()).toList();
        assertThat(events).containsSubsequence("STEP_STARTED", "STEP_SUCCEEDED", "STEP_FAILED", "COMPENSATING",
                "STEP_COMPENSATED", "COMPENSATED");
        assertThat(transitions.getLast().getAttributes().get(SagaSpans.STATUS)).isEqualTo("COMPENSATED");
    }

    @Test
    void a_saga_without_a_trace_is_traced_under_itself() {
        String id = submit(aSaga().type("TracedSaga").step("reserve", participant.url("/reserve")));
        awaitEnd(id);

        String traceId = id.replace("-", "");
        String sagaSpan = id.substring(id.length() - 16 - 1).replace("-", "");
        List<SpanData> spans = spansUntil(traceId, "COMPLETED");
        assertThat(spans).extracting(SpanData::getName).contains("reserve action", "saga transition");
        assertThat(spans).extracting(SpanData::getParentSpanId).containsOnly(sagaSpan);
        assertThat(participant.calls().getLast().header("traceparent"))
                .isEqualTo("00-" + traceId + "-" + spans.stream().filter(s -> s.getKind() == SpanKind.CLIENT)
                        .findFirst().orElseThrow().getSpanId() + "-01");
    }

    @Test
    void a_trace_its_submitter_did_not_sample_records_nothing_and_still_travels() {
        String trace = newTraceId();
        String id = submit(aSaga().type("TracedSaga").step("reserve", participant.url("/reserve")),
                "00-" + trace + "-" + SUBMITTER_SPAN + "-00");
        awaitEnd(id);
        String sampled = submit(aSaga().type("TracedSaga").step("reserve", participant.url("/reserve")));
        awaitEnd(sampled);
        spansUntil(sampled.replace("-", ""), "COMPLETED"); // spans export in order: the first saga's are out too

        assertThat(exporter.getFinishedSpanItems()).noneMatch(s -> s.getTraceId().equals(trace));
        assertThat(participant.calls().getFirst().header("traceparent")).matches("00-" + trace + "-[0-9a-f]{16}-00")
                .doesNotContain(SUBMITTER_SPAN);
    }

    @Test
    void a_sagas_log_lines_carry_its_saga_and_trace_ids() {
        List<ExtLogRecord> records = new ArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record instanceof ExtLogRecord ext && ext.getLoggerName().startsWith("io.sagawarden")) {
                    ext.copyMdc(); // as the saga's thread has it, not as the test's will when it reads the record
                    synchronized (records) {
                        records.add(ext);
                    }
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger logger = Logger.getLogger("io.sagawarden.execution");
        logger.addHandler(handler);
        try {
            String trace = newTraceId();
            String id = submit(aSaga().type("TracedSaga").step("charge", participant.url("/charge")),
                    "00-" + trace + "-" + SUBMITTER_SPAN + "-01");
            awaitEnd(id);
            synchronized (records) {
                assertThat(records).filteredOn(r -> r.getFormattedMessage().contains(id + " (TracedSaga) ended COMPENSATED"))
                        .singleElement().satisfies(r -> assertThat(r.getMdcCopy())
                                .containsEntry("sagaId", id).containsEntry("traceId", trace));
            }
        } finally {
            logger.removeHandler(handler);
        }
    }

    /** The spans of a trace once the one of the transition that ended its saga with {@code status} is exported. */
    private List<SpanData> spansUntil(String traceId, String status) {
        return Eventually.await("the spans of trace " + traceId, Duration.ofSeconds(20),
                () -> exporter.getFinishedSpanItems().stream().filter(s -> s.getTraceId().equals(traceId)).toList(),
                spans -> spans.stream().anyMatch(s -> status.equals(s.getAttributes().get(SagaSpans.STATUS))));
    }

    private static String newTraceId() {
        return UUID.randomUUID().toString().replace("-", "");
    }
}
