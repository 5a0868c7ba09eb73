package io.sagawarden.saga;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.sagawarden.participant.CallKind;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * A step's call rendered from its definition as a participant receives it (API.md, "Templates"): the URL, header
 * values and body filled from the payload and the steps' replies. The executor's call and the saga view's preview
 * are both rendered here, so what an operator sees is what is sent. Secrets come from the caller's own function and
 * fill header values only; anywhere else a secret template resolves to nothing. Plain Java.
 */
public final class CallRendering {

    /** What a call sends, but for the saga's own headers. */
    public record Rendered(String method, String url, Map<String, String> headers, JsonNode body) {
    }

    private final List<String> stepNames;
    private final Function<Template, Optional<JsonNode>> values;

    /** {@code values}: what a template names, or empty; see {@link #values(JsonNode, Function)}. */
    public CallRendering(List<String> stepNames, Function<Template, Optional<JsonNode>> values) {
        this.stepNames = stepNames;
        this.values = values;
    }

    /** The values templates name: the payload, and each step's reply by step name (null while it has none). */
    public static Function<Template, Optional<JsonNode>> values(JsonNode payload, Function<String, JsonNode> responseOf) {
        return template -> switch (template.source()) {
            case PAYLOAD -> TemplateRenderer.at(payload, template.path());
            case STEP_RESPONSE -> Optional.ofNullable(responseOf.apply(template.stepName()))
                    .flatMap(response -> TemplateRenderer.at(response, template.path()));
            case SECRET -> Optional.empty();
        };
    }

    /**
     * Renders {@code call}, with {@code secret} giving the value of each secret a header names; throws
     * {@link TemplateRenderer.UnresolvedTemplateException} when a template names nothing.
     */
    public Rendered render(SagaRequest.HttpCall call, Function<String, Optional<String>> secret) {
        TemplateRenderer renderer = new TemplateRenderer(stepNames, values);
        TemplateRenderer headerRenderer = new TemplateRenderer(stepNames, t -> t.source() == Template.Source.SECRET
                ? secret.apply(t.secretName()).map(TextNode::valueOf) : values.apply(t));
        Map<String, String> headers = headerRenderer.renderHeaders(call.headers());
        return new Rendered(call.method().name(), renderer.renderUrl(call.url()), headers, renderer.renderJson(call.body()));
    }

    /**
     * What templates insert into renders, counted against a limit: a body may name a large reply many times, and the
     * definition alone does not show how large a render grows. Each expression is measured once, counted every time.
     */
    public static final class Budget {

        private final long maxChars;
        private final Map<String, Integer> sizes = new HashMap<>();
        private long inserted;

        public Budget(long maxChars) {
            this.maxChars = maxChars;
        }

        /** {@code values}, counting what they insert; throws {@link TooLarge} once past the limit. */
        public Function<Template, Optional<JsonNode>> counting(Function<Template, Optional<JsonNode>> values) {
            return template -> {
                Optional<JsonNode> value = values.apply(template);
                value.ifPresent(v -> {
                    inserted += sizes.computeIfAbsent(template.expression(),
                            e -> v.isValueNode() ? v.asText().length() : v.toString().length());
                    if (inserted > maxChars) {
                        throw new TooLarge(maxChars);
                    }
                });
                return value;
            };
        }
    }

    /** A render whose templates would insert more than its {@link Budget} allows. */
    public static final class TooLarge extends RuntimeException {
        public TooLarge(long maxChars) {
            super("the values its templates insert would pass " + maxChars + " characters", null, false, false);
        }
    }

    /**
     * The Idempotency-Key of a step's action or compensation in run {@code run}: the same on every attempt, new in
     * every run, so a participant that de-duplicates on it applies a restarted run's effects again (API.md).
     */
    public static String idempotencyKey(UUID saga, String step, CallKind kind, int run) {
        String key = saga + ":" + step + ":" + kind.key();
        return run == 1 ? key : key + ":run" + run;
    }
}
