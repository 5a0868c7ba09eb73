package io.sagawarden.execution;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.sagawarden.participant.CallKind;
import io.sagawarden.participant.CallResult;
import io.sagawarden.participant.ParticipantRequest;
import io.sagawarden.saga.SagaEvent;
import io.sagawarden.saga.TraceParent;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The OpenTelemetry spans of a saga's work, in the saga's trace ({@link TraceParent}): a client span per participant
 * call, whose id is the one its {@code traceparent} header names, and a span per committed transition. Attribute
 * names follow OpenTelemetry's draft workflow conventions ({@code workflow.*}) and the HTTP client conventions;
 * what only a saga has is {@code saga.*}. With the SDK off (the default, see docs/operations.md) no span is built
 * and each call still gets a span id of its own for its header.
 */
@ApplicationScoped
public class SagaSpans {

    static final AttributeKey<String> SAGA_ID = AttributeKey.stringKey("workflow.execution.id");
    static final AttributeKey<String> SAGA_TYPE = AttributeKey.stringKey("workflow.definition.name");
    static final AttributeKey<String> STEP = AttributeKey.stringKey("workflow.task.name");
    static final AttributeKey<String> STATUS = AttributeKey.stringKey("workflow.execution.state");
    static final AttributeKey<String> CALL = AttributeKey.stringKey("saga.call");
    static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("saga.attempt");
    static final AttributeKey<Long> RUN = AttributeKey.longKey("saga.run");
    static final AttributeKey<List<String>> EVENTS = AttributeKey.stringArrayKey("saga.events");
    private static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
    private static final AttributeKey<String> SERVER = AttributeKey.stringKey("server.address");
    private static final AttributeKey<Long> PORT = AttributeKey.longKey("server.port");
    private static final AttributeKey<Long> STATUS_CODE = AttributeKey.longKey("http.response.status_code");
    private static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

    private final Tracer tracer;
    /** With the SDK off nothing records: the hot path (every call, every move) then builds no span at all. */
    private final boolean recording;

    public SagaSpans(OpenTelemetry openTelemetry,
                     @ConfigProperty(name = "quarkus.otel.sdk.disabled", defaultValue = "false") boolean sdkDisabled) {
        this.tracer = openTelemetry.getTracer("io.sagawarden");
        this.recording = !sdkDisabled;
    }

    /** A participant call about to be made; {@link CallSpan#traceparent()} is the header it carries. */
    CallSpan call(SagaRun run, PlannedCall call) {
        if (!recording) {
            return new CallSpan(Span.getInvalid(), run.trace.forCall());
        }
        StepRun step = run.steps().get(call.stepIndex());
        String kind = call.kind() == CallKind.ACTION ? "action" : "compensation";
        SpanContext parent = parent(run.trace);
        Span span = inSaga(tracer.spanBuilder(step.name() + " " + kind), parent, run)
                .setSpanKind(SpanKind.CLIENT)
                .setAttribute(STEP, step.name())
                .setAttribute(CALL, kind)
                .setAttribute(ATTEMPT, (long) call.attempt())
                .startSpan();
        SpanContext own = span.getSpanContext();
        // A no-op tracer hands the parent back: the call still needs a span id of its own.
        String header = own.isValid() && !own.getSpanId().equals(parent.getSpanId())
                ? run.trace.header(own.getSpanId()) : run.trace.forCall();
        return new CallSpan(span, header);
    }

    /** A transition that committed: the moves it made, from {@code began} until now. */
    void transition(SagaRun run, Instant began) {
        if (!recording || run.events().isEmpty()) {
            return;
        }
        Span span = inSaga(tracer.spanBuilder("saga transition"), parent(run.trace), run)
                .setStartTimestamp(began)
                .setAttribute(STATUS, run.status().name())
                .setAttribute(EVENTS, run.events().stream().map(SagaEvent::kind).toList())
                .startSpan();
        if (run.currentStep() < run.steps().size()) {
            span.setAttribute(STEP, run.steps().get(run.currentStep()).name());
        }
        span.end();
    }

    private static SpanBuilder inSaga(SpanBuilder builder, SpanContext parent, SagaRun run) {
        return builder.setParent(Context.root().with(Span.wrap(parent)))
                .setAllAttributes(Attributes.of(SAGA_ID, run.id().toString(), SAGA_TYPE, run.type(),
                        RUN, (long) run.runNumber()));
    }

    private static SpanContext parent(TraceParent trace) {
        return SpanContext.createFromRemoteParent(trace.traceId(), trace.parentSpanId(),
                TraceFlags.fromHex(trace.flags(), 0), TraceState.getDefault());
    }

    /** The span of one participant call, ended with its outcome. */
    record CallSpan(Span span, String traceparent) {

        void request(ParticipantRequest request) {
            if (!span.isRecording()) {
                return;
            }
            span.setAttribute(METHOD, request.method());
            try {
                URI uri = URI.create(request.url());
                span.setAttribute(SERVER, uri.getHost());
                span.setAttribute(PORT, (long) (uri.getPort() != -1 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80));
            } catch (IllegalArgumentException e) {
                // the client refuses such a URL itself; the span says so through its outcome
            }
        }

        void end(CallResult result) {
            if (!span.isRecording()) {
                return;
            }
            if (result.httpStatus() != null) {
                span.setAttribute(STATUS_CODE, result.httpStatus().longValue());
            }
            if (result.outcome() != CallResult.Outcome.SUCCEEDED) {
                span.setAttribute(ERROR_TYPE, result.httpStatus() != null ? result.httpStatus().toString() : "_OTHER");
                span.setStatus(StatusCode.ERROR, result.error() == null ? "" : result.error());
            }
            span.end();
        }
    }
}
