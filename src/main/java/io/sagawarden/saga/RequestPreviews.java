package io.sagawarden.saga;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagawarden.participant.CallKind;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * The requests of a saga's steps as its view shows them: each action and compensation rendered as it is sent now
 * ({@link CallRendering}), with the saga's own {@code Idempotency-Key}, {@code Saga-Id} and {@code Saga-Step}. A view
 * never resolves a secret: {@code {{secrets.x}}} shows as {@value #REDACTED}. A call whose templates name a reply that
 * has not come (yet) has no request but a note saying which. What templates insert may add at most
 * {@value #MAX_INSERTED_CHARS} characters to one view, since a body may name a large reply many times and would
 * otherwise make a saga's page grow far beyond what was submitted. Plain Java.
 */
public final class RequestPreviews {

    public static final String REDACTED = "[redacted]";
    static final int MAX_INSERTED_CHARS = 1 << 20;

    /** A rendered request, or null with the reason it cannot be rendered. Both null: there is no such call. */
    public record Preview(SagaView.Request request, String note) {
        static final Preview NONE = new Preview(null, null);
    }

    private final UUID sagaId;
    private final int run;
    private final List<SagaRequest.Step> steps;
    private final CallRendering rendering;

    /** {@code run}: the saga's run (1 + its restarts); {@code responseOf}: each step's reply by name, or null. */
    public RequestPreviews(UUID sagaId, int run, List<SagaRequest.Step> steps, JsonNode payload,
                           Function<String, JsonNode> responseOf) {
        this.sagaId = sagaId;
        this.run = run;
        this.steps = steps;
        Function<Template, Optional<JsonNode>> values = CallRendering.values(payload, responseOf);
        this.rendering = new CallRendering(steps.stream().map(SagaRequest.Step::name).toList(),
                new CallRendering.Budget(MAX_INSERTED_CHARS).counting(values));
    }

    public Preview action(int index) {
        return preview(steps.get(index), CallKind.ACTION);
    }

    public Preview compensation(int index) {
        return preview(steps.get(index), CallKind.COMPENSATION);
    }

    private Preview preview(SagaRequest.Step step, CallKind kind) {
        SagaRequest.HttpCall call = kind == CallKind.ACTION ? step.action() : step.compensation();
        if (call == null) {
            return Preview.NONE;
        }
        try {
            CallRendering.Rendered rendered = rendering.render(call, secret -> Optional.of(REDACTED));
            Map<String, String> headers = new LinkedHashMap<>(rendered.headers());
            headers.put("Idempotency-Key", CallRendering.idempotencyKey(sagaId, step.name(), kind, run));
            headers.put("Saga-Id", sagaId.toString());
            headers.put("Saga-Step", step.name());
            return new Preview(new SagaView.Request(rendered.method(), rendered.url(), headers, rendered.body()), null);
        } catch (TemplateRenderer.UnresolvedTemplateException e) {
            return new Preview(null, e.getMessage());
        } catch (CallRendering.TooLarge e) {
            return new Preview(null, "not shown: with it, the values its templates insert would pass "
                    + MAX_INSERTED_CHARS + " characters in this view");
        }
    }
}
