package io.sagawarden.db;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * What PostgreSQL will store, checked before it is asked to: text and jsonb refuse the NUL character and
 * unpaired UTF-16 surrogates, and jsonb numbers are PostgreSQL numerics (at most 131,072 digits before the
 * point and 16,383 after), which it keeps and prints in full: {@code 1e131071} is eight bytes on the wire and
 * 128 KiB in every read. Plain Java.
 */
public final class Storable {

    /** Longest text kept from a participant or a failure, so nobody outside can make a row or a log line grow. */
    public static final int MAX_TEXT = 2_000;
    private static final int MAX_INTEGER_DIGITS = 131_072;
    private static final int MAX_FRACTION_DIGITS = 16_383;

    private Storable() {
    }

    /**
     * {@code text} as it can be stored and shown: NUL and unpaired surrogates become U+FFFD, and anything past
     * {@link #MAX_TEXT} characters is cut off with an ellipsis. Null stays null.
     */
    public static String text(String text) {
        if (text == null) {
            return null;
        }
        int end = Math.min(text.length(), MAX_TEXT);
        if (end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))) {
            end--;
        }
        StringBuilder out = new StringBuilder(end + 1);
        for (int i = 0; i < end; i++) {
            char c = text.charAt(i);
            boolean paired = Character.isHighSurrogate(c) ? i + 1 < end && Character.isLowSurrogate(text.charAt(i + 1))
                    : Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(text.charAt(i - 1));
            out.append(c == '\0' || (Character.isSurrogate(c) && !paired) ? '\uFFFD' : c);
        }
        return end < text.length() ? out.append('…').toString() : out.toString();
    }

    /** True when {@code text} holds neither NUL nor an unpaired surrogate. */
    public static boolean isStorable(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\0') {
                return false;
            }
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Why PostgreSQL would refuse {@code json} as jsonb, or why it would be larger than {@code maxBytes} once
     * stored and printed out; empty when it may be kept.
     */
    public static Optional<String> jsonProblem(JsonNode json, long maxBytes) {
        long[] size = {0};
        return problem(json, size, maxBytes, "$");
    }

    private static Optional<String> problem(JsonNode node, long[] size, long maxBytes, String path) {
        size[0] += printedSize(node);
        if (size[0] > maxBytes) {
            return Optional.of("it would take more than " + maxBytes + " bytes once stored");
        }
        if (node.isTextual() && !isStorable(node.textValue())) {
            return Optional.of("the string at " + path + " holds a NUL character or an unpaired surrogate");
        }
        if (node.isNumber() && !storableNumber(node)) {
            return Optional.of("the number at " + path + " is out of PostgreSQL's numeric range");
        }
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                if (!isStorable(field.getKey())) {
                    return Optional.of("a field name in " + path + " holds a NUL character or an unpaired surrogate");
                }
                size[0] += field.getKey().length() + 4L;
                Optional<String> inner = problem(field.getValue(), size, maxBytes, path + "." + excerpt(field.getKey()));
                if (inner.isPresent()) {
                    return inner;
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                Optional<String> inner = problem(node.get(i), size, maxBytes, path + "[" + i + "]");
                if (inner.isPresent()) {
                    return inner;
                }
            }
        }
        return Optional.empty();
    }

    /** An upper bound of the node's own printed length (containers count their brackets only). */
    private static long printedSize(JsonNode node) {
        if (node.isTextual()) {
            return 2 + printedSize(node.textValue());
        }
        if (node.isNumber()) {
            BigDecimal value = decimal(node);
            if (value == null) {
                return 21;
            }
            long integerDigits = Math.max(1, (long) value.precision() - value.scale());
            return 1 + integerDigits + Math.max(0, value.scale()) + 1;
        }
        return node.isContainerNode() ? 2 + node.size() : 5;
    }

    /** The string's length in UTF-8 as JSON prints it, escapes included. */
    private static long printedSize(String text) {
        long bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                bytes += 2;
            } else if (c < 0x20) {
                bytes += 6;
            } else if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800 || Character.isSurrogate(c)) {
                bytes += 2;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    private static boolean storableNumber(JsonNode node) {
        if ((node.isDouble() || node.isFloat()) && !Double.isFinite(node.doubleValue())) {
            return false;
        }
        BigDecimal value = decimal(node);
        return value == null || ((long) value.precision() - value.scale() <= MAX_INTEGER_DIGITS
                && value.scale() <= MAX_FRACTION_DIGITS);
    }

    private static BigDecimal decimal(JsonNode node) {
        if ((node.isDouble() || node.isFloat()) && Double.isFinite(node.doubleValue())) {
            return BigDecimal.valueOf(node.doubleValue());
        }
        if (node.isBigDecimal()) {
            return node.decimalValue();
        }
        if (node.isBigInteger()) {
            return new BigDecimal(node.bigIntegerValue());
        }
        return null;
    }

    private static String excerpt(String name) {
        String safe = text(name);
        return safe.length() <= 40 ? safe : safe.substring(0, 40) + "…";
    }
}
