package io.sagawarden.execution;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagawarden.participant.CallKind;
import io.sagawarden.participant.ParticipantRequest;
import io.sagawarden.participant.ParticipantSecrets;
import io.sagawarden.participant.SecretValues;
import io.sagawarden.saga.CallRendering;
import io.sagawarden.saga.SagaRequest;
import io.sagawarden.saga.TemplateRenderer;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders the call the state machine planned into the request a participant receives (API.md, "Calling
 * participants"): templates filled from the payload and earlier replies, the step's headers, then the saga's own.
 * Secrets are resolved in header values only; anywhere else a secret template resolves to nothing.
 */
final class CallRequests {

    /**
     * The most characters templates may insert into one call: far above any real request (a participant's reply is
     * kept up to 256 KiB), and far below what a body naming a large reply thousands of times would make this node
     * hold. A call past it is not made: its step fails at once, as for a template that names nothing.
     */
    static final int MAX_INSERTED_CHARS = 8 << 20;

    private final Duration defaultTimeout;
    private final ParticipantSecrets secrets;

    CallRequests(Duration defaultTimeout, ParticipantSecrets secrets) {
        this.defaultTimeout = defaultTimeout;
        this.secrets = secrets;
    }

    /**
     * The request of {@code call}, carrying {@code traceparent}; throws
     * {@link TemplateRenderer.UnresolvedTemplateException} when a template names nothing, and
     * {@link CallRendering.TooLarge} when the templates would insert more than {@value #MAX_INSERTED_CHARS} characters.
     */
    ParticipantRequest render(SagaRun run, PlannedCall call, String traceparent) {
        StepRun step = run.steps().get(call.stepIndex());
        SagaRequest.HttpCall spec = call.kind() == CallKind.ACTION
                ? step.definition().action() : step.definition().compensation();
        List<String> names = run.definition().steps().stream().map(SagaRequest.Step::name).toList();
        CallRendering rendering = new CallRendering(names, new CallRendering.Budget(MAX_INSERTED_CHARS)
                .counting(CallRendering.values(run.payload(), name -> responseOf(run, name))));
        Set<String> used = new HashSet<>();
        CallRendering.Rendered rendered = rendering.render(spec, name -> secrets.value(name).map(v -> {
            used.add(v);
            return v;
        }));
        Map<String, String> headers = new LinkedHashMap<>(rendered.headers());
        headers.put("Idempotency-Key", run.idempotencyKey(step, call.kind()));
        headers.put("Saga-Id", run.id().toString());
        headers.put("Saga-Step", step.name());
        headers.put("Saga-Attempt", Integer.toString(call.attempt()));
        headers.put("Saga-Fencing-Tokens", run.fencingTokensHeader());
        headers.put("traceparent", traceparent);
        return new ParticipantRequest(call.kind(), rendered.method(), rendered.url(), headers, rendered.body(),
                spec.timeout() == null ? defaultTimeout : spec.timeout(), new SecretValues(used));
    }

    private static JsonNode responseOf(SagaRun run, String stepName) {
        return run.steps().stream().filter(s -> s.name().equals(stepName)).findFirst().map(StepRun::response).orElse(null);
    }
}
