package io.sagawarden.saga;

import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * A saga's place in a W3C trace (Trace Context, level 1): the trace its participant calls belong to, and the trace
 * flags. A submission's {@code traceparent} header names it; a saga submitted without one (or with one that is not
 * valid, which the standard says to ignore) is a trace of its own, whose id is the saga's id, so an operator can find
 * it from either. Every call gets a span id of its own. Plain Java.
 */
public record TraceParent(String traceId, String flags) {

    private static final Pattern HEADER = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})");
    private static final String ZERO_TRACE = "0".repeat(32);
    private static final String ZERO_SPAN = "0".repeat(16);
    private static final String SAMPLED = "01";

    /** The trace a submission's {@code traceparent} header names, if it is valid. */
    public static Optional<TraceParent> parse(String header) {
        if (header == null) {
            return Optional.empty();
        }
        var m = HEADER.matcher(header.strip());
        if (!m.matches() || m.group(1).equals(ZERO_TRACE) || m.group(2).equals(ZERO_SPAN)) {
            return Optional.empty();
        }
        return Optional.of(new TraceParent(m.group(1), m.group(3)));
    }

    /** A trace of the saga's own: its id, sampled. */
    public static TraceParent ofSaga(UUID sagaId) {
        return new TraceParent(sagaId.toString().replace("-", ""), SAMPLED);
    }

    /** As stored: {@code traceId-flags}. */
    public String stored() {
        return traceId + "-" + flags;
    }

    public static TraceParent fromStored(String stored, UUID sagaId) {
        return stored == null ? ofSaga(sagaId) : new TraceParent(stored.substring(0, 32), stored.substring(33));
    }

    /** The {@code traceparent} header of one participant call: this trace, a new span. */
    public String forCall() {
        long span;
        do {
            span = ThreadLocalRandom.current().nextLong();
        } while (span == 0);
        return "00-" + traceId + "-" + HexFormat.of().toHexDigits(span) + "-" + flags;
    }
}
