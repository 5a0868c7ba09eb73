package io.sagawarden.saga;

import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * A saga's place in a W3C trace (Trace Context, level 1): the trace its participant calls belong to, the span they
 * are children of, and the trace flags. A submission's {@code traceparent} header names them (the submitter's span
 * is the parent); a saga submitted without one (or with one that is not valid, which the standard says to ignore)
 * is a trace of its own, whose id is the saga's id and whose parent span is the saga itself, named by the low half
 * of its id, so an operator can find it from either. Every call is a span of its own. Plain Java.
 */
public record TraceParent(String traceId, String parentSpanId, String flags) {

    private static final Pattern HEADER = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})");
    private static final Pattern STORED = Pattern.compile("([0-9a-f]{32})(?:-([0-9a-f]{16}))?-([0-9a-f]{2})");
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
        return Optional.of(new TraceParent(m.group(1), m.group(2), m.group(3)));
    }

    /** A trace of the saga's own: its id, under a span named by the low half of its id, sampled. */
    public static TraceParent ofSaga(UUID sagaId) {
        long low = sagaId.getLeastSignificantBits();
        return new TraceParent(sagaId.toString().replace("-", ""), HexFormat.of().toHexDigits(low == 0 ? 1 : low), SAMPLED);
    }

    /** This trace under another span of it (the submission's own, when the service traces requests). */
    public TraceParent under(String spanId) {
        return new TraceParent(traceId, spanId, flags);
    }

    public boolean sampled() {
        return (HexFormat.fromHexDigits(flags) & 1) == 1;
    }

    /** As stored: {@code traceId-parentSpanId-flags}. */
    public String stored() {
        return traceId + "-" + parentSpanId + "-" + flags;
    }

    /** Reads {@link #stored()}; rows stored before parent spans were kept ({@code traceId-flags}) hang under the saga. */
    public static TraceParent fromStored(String stored, UUID sagaId) {
        if (stored == null) {
            return ofSaga(sagaId);
        }
        var m = STORED.matcher(stored);
        if (!m.matches()) {
            throw new IllegalStateException("not a stored trace: " + stored);
        }
        return new TraceParent(m.group(1), m.group(2) != null ? m.group(2) : ofSaga(sagaId).parentSpanId, m.group(3));
    }

    /** The {@code traceparent} header of a call that is span {@code spanId} of this trace. */
    public String header(String spanId) {
        return "00-" + traceId + "-" + spanId + "-" + flags;
    }

    /** The {@code traceparent} header of a call that is a new span of this trace, when nothing records spans. */
    public String forCall() {
        long span;
        do {
            span = ThreadLocalRandom.current().nextLong();
        } while (span == 0);
        return header(HexFormat.of().toHexDigits(span));
    }
}
