package io.sagawarden.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Builds saga submissions for tests: {@code aSaga().step("reserve", url).withCompensation(url2).json()}. */
public final class SagaBuilder {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final ObjectNode saga = MAPPER.createObjectNode();
    private final ArrayNode steps = saga.putArray("steps");
    private ObjectNode lastStep;

    private SagaBuilder(String type) {
        saga.put("type", type);
    }

    public static SagaBuilder aSaga() {
        return new SagaBuilder("TestSaga");
    }

    public static JsonNode parse(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    public SagaBuilder type(String type) {
        saga.put("type", type);
        return this;
    }

    public SagaBuilder priority(int priority) {
        saga.put("priority", priority);
        return this;
    }

    public SagaBuilder timeout(String iso) {
        saga.put("timeout", iso);
        return this;
    }

    public SagaBuilder payload(String json) {
        saga.set("payload", parse(json));
        return this;
    }

    public SagaBuilder label(String key, String value) {
        ((ObjectNode) saga.with("labels")).put(key, value);
        return this;
    }

    /** A step whose action POSTs to {@code url}. */
    public SagaBuilder step(String name, String url) {
        lastStep = steps.addObject();
        lastStep.put("name", name);
        lastStep.putObject("action").put("method", "POST").put("url", url);
        return this;
    }

    public SagaBuilder withCompensation(String url) {
        lastStep.putObject("compensation").put("method", "POST").put("url", url);
        return this;
    }

    public SagaBuilder withActionBody(String json) {
        ((ObjectNode) lastStep.get("action")).set("body", parse(json));
        return this;
    }

    public SagaBuilder withCompensationBody(String json) {
        ((ObjectNode) lastStep.get("compensation")).set("body", parse(json));
        return this;
    }

    public SagaBuilder withActionHeader(String name, String value) {
        ((ObjectNode) lastStep.get("action")).withObject("headers").put(name, value);
        return this;
    }

    public SagaBuilder withActionTimeout(String iso) {
        ((ObjectNode) lastStep.get("action")).put("timeout", iso);
        return this;
    }

    public SagaBuilder withActionMethod(String method) {
        ((ObjectNode) lastStep.get("action")).put("method", method);
        return this;
    }

    public SagaBuilder withRetry(int maxAttempts, String initialBackoff) {
        lastStep.putObject("retry").put("maxAttempts", maxAttempts).put("initialBackoff", initialBackoff)
                .put("multiplier", 1.0).put("maxBackoff", initialBackoff);
        return this;
    }

    public SagaBuilder withLock(String resource, String mode) {
        lastStep.withArray("locks").addObject().put("resource", resource).put("mode", mode);
        return this;
    }

    public String json() {
        return saga.toString();
    }
}
