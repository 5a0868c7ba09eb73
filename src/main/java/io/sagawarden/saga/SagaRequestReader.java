package io.sagawarden.saga;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.sagawarden.db.Storable;
import io.sagawarden.problem.FieldError;
import io.sagawarden.problem.ProblemException;
import java.io.IOException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Turns a request body into a {@link SagaRequest}, strictly: unknown fields, wrong types and trailing data fail. */
public final class SagaRequestReader {

    private static final String UNSTORABLE = "must not contain the NUL character (U+0000) or an unpaired surrogate";

    private final ObjectMapper strict;

    public SagaRequestReader(ObjectMapper shared) {
        strict = shared.copy()
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
                .configure(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true)
                .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true)
                .configure(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS, true)
                .configure(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY, true)
                .configure(DeserializationFeature.ACCEPT_FLOAT_AS_INT, false)
                .configure(JsonParser.Feature.STRICT_DUPLICATE_DETECTION, true)
                .registerModule(new SimpleModule().addDeserializer(Duration.class, new IsoDurationDeserializer()));
        // A number where a string belongs (or the reverse) is a mistake in the request, not something to guess.
        for (LogicalType type : List.of(LogicalType.Integer, LogicalType.Float, LogicalType.Boolean)) {
            strict.coercionConfigFor(type).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
        }
        strict.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        strict.coercionConfigFor(LogicalType.Integer).setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
    }

    public SagaRequest read(byte[] body) {
        if (body == null || body.length == 0) {
            throw bad("body", "a JSON saga object is required");
        }
        try {
            JsonNode tree = strict.readTree(body);
            if (tree == null || !tree.isObject()) {
                throw bad("body", "a JSON saga object is required");
            }
            rejectUnstorableText(tree, "");
            return strict.treeToValue(tree, SagaRequest.class);
        } catch (UnrecognizedPropertyException e) {
            throw bad(path(e), "is not a known field");
        } catch (InvalidFormatException e) {
            throw bad(path(e), expected(e.getTargetType()));
        } catch (MismatchedInputException e) {
            throw bad(path(e), e.getTargetType() == null ? "has the wrong type" : expected(e.getTargetType()));
        } catch (JsonMappingException e) {
            throw bad(path(e), "is not valid: " + e.getOriginalMessage());
        } catch (JacksonException e) {
            String at = e.getProcessor() instanceof JsonParser parser ? where(parser.getParsingContext()) : "body";
            throw bad(at, "is not well-formed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw bad("body", "could not be read");
        }
    }

    /**
     * PostgreSQL cannot store U+0000 or an unpaired surrogate in text or jsonb (and text that lost one would make
     * two different names one): refuse them up front, naming where they are.
     */
    private static void rejectUnstorableText(JsonNode node, String at) {
        if (node.isTextual() && !Storable.isStorable(node.asText())) {
            throw bad(at.isEmpty() ? "body" : at, UNSTORABLE);
        }
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                if (!Storable.isStorable(field.getKey())) {
                    throw bad(at.isEmpty() ? "body" : at, UNSTORABLE + " in a field name");
                }
                rejectUnstorableText(field.getValue(), at.isEmpty() ? field.getKey() : at + "." + field.getKey());
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                rejectUnstorableText(node.get(i), at + "[" + i + "]");
            }
        }
    }

    /** ISO-8601 strings only: Jackson would otherwise read a bare number as seconds. */
    private static final class IsoDurationDeserializer extends StdScalarDeserializer<Duration> {
        IsoDurationDeserializer() {
            super(Duration.class);
        }

        @Override
        public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.currentToken() != JsonToken.VALUE_STRING) {
                return (Duration) ctxt.handleUnexpectedToken(Duration.class, p);
            }
            try {
                return Duration.parse(p.getText().strip());
            } catch (DateTimeParseException e) {
                return (Duration) ctxt.handleWeirdStringValue(Duration.class, p.getText(), "not an ISO-8601 duration");
            }
        }
    }

    private static String expected(Class<?> type) {
        if (type == null) {
            return "has the wrong type";
        }
        if (type.isEnum()) {
            return "must be one of " + Arrays.toString(type.getEnumConstants());
        }
        if (type == Duration.class) {
            return "must be an ISO-8601 duration such as PT10S";
        }
        if (type == Integer.class || type == int.class || type == Long.class) {
            return "must be a whole number";
        }
        if (type == Double.class) {
            return "must be a number";
        }
        if (type == String.class) {
            return "must be a string";
        }
        if (List.class.isAssignableFrom(type)) {
            return "must be an array";
        }
        return "must be a JSON " + (type.isRecord() || java.util.Map.class.isAssignableFrom(type) ? "object" : "value");
    }

    /** The JSON path of the object or array the parser was in, written as {@code steps[1]}. */
    private static String where(JsonStreamContext context) {
        StringBuilder out = new StringBuilder();
        java.util.ArrayDeque<JsonStreamContext> chain = new java.util.ArrayDeque<>();
        for (JsonStreamContext c = context; c != null && c.getParent() != null; c = c.getParent()) {
            chain.push(c);
        }
        for (JsonStreamContext c : chain) {
            JsonStreamContext parent = c.getParent();
            if (parent.inArray()) {
                out.append('[').append(parent.getCurrentIndex()).append(']');
            } else if (parent.inObject() && parent.getCurrentName() != null) {
                out.append(out.isEmpty() ? "" : ".").append(parent.getCurrentName());
            }
        }
        return out.isEmpty() ? "body" : out.toString();
    }

    /** The JSON path of the failure, written as {@code steps[0].action.url}. */
    private static String path(JsonMappingException e) {
        StringBuilder out = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (!out.isEmpty()) {
                    out.append('.');
                }
                out.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                out.append('[').append(ref.getIndex()).append(']');
            }
        }
        return out.isEmpty() ? "body" : out.toString();
    }

    private static ProblemException bad(String field, String message) {
        return new ProblemException.BadRequest(field + " " + message, List.of(new FieldError(field, message)));
    }
}
