package io.sagawarden.saga;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.sagawarden.problem.FieldError;
import io.sagawarden.problem.ProblemException;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/** Turns a request body into a {@link SagaRequest}, strictly: unknown fields, wrong types and trailing data fail. */
public final class SagaRequestReader {

    private final ObjectReader reader;

    public SagaRequestReader(ObjectMapper shared) {
        ObjectMapper strict = shared.copy();
        // A number where a string belongs (or the reverse) is a mistake in the request, not something to guess.
        for (LogicalType type : List.of(LogicalType.Integer, LogicalType.Float, LogicalType.Boolean)) {
            strict.coercionConfigFor(type).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
        }
        strict.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        strict.coercionConfigFor(LogicalType.Integer).setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
        this.reader = strict.readerFor(SagaRequest.class)
                .with(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES,
                        DeserializationFeature.FAIL_ON_TRAILING_TOKENS,
                        DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES,
                        DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS,
                        DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
                .without(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    }

    public SagaRequest read(byte[] body) {
        if (body == null || body.length == 0) {
            throw bad("body", "a JSON saga object is required");
        }
        try {
            SagaRequest request = reader.readValue(body);
            if (request == null) {
                throw bad("body", "a JSON saga object is required");
            }
            return request;
        } catch (UnrecognizedPropertyException e) {
            throw bad(path(e), "is not a known field");
        } catch (InvalidFormatException e) {
            throw bad(path(e), expected(e.getTargetType()));
        } catch (MismatchedInputException e) {
            throw bad(path(e), e.getTargetType() == null ? "has the wrong type" : expected(e.getTargetType()));
        } catch (JsonMappingException e) {
            throw bad(path(e), "is not valid: " + e.getOriginalMessage());
        } catch (JacksonException e) {
            throw bad("body", "is not well-formed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw bad("body", "could not be read");
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
