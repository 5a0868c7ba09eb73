package io.sagawarden.db;

import io.sagawarden.db.Page;
import io.sagawarden.problem.QueryParams;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

/**
 * Keyset pagination, newest first by (time, id): the position after the last item of a page, opaque to
 * clients as a cursor. Listings query {@code (at, id) < (cursor.at, cursor.id)} and ask for one row more than
 * the page holds, to know whether another page follows.
 */
public record Keyset(Instant at, UUID id) {

    private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

    /** The cursor's position, or null for the first page; a cursor this service did not issue is a 400. */
    public static Keyset decode(String cursor) {
        if (cursor == null || cursor.isEmpty()) {
            return null;
        }
        try {
            String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            int bar = raw.indexOf('|');
            Instant at = Instant.parse(raw.substring(0, bar));
            // Cursors are made from stored times; one outside PostgreSQL's range was made by someone else.
            if (at.isBefore(EARLIEST) || at.isAfter(LATEST)) {
                throw new IllegalArgumentException("out of range");
            }
            return new Keyset(at, UUID.fromString(raw.substring(bar + 1)));
        } catch (IllegalArgumentException | DateTimeParseException | StringIndexOutOfBoundsException e) {
            throw QueryParams.bad("cursor", "is not a cursor this service issued");
        }
    }

    public String encode() {
        return Base64.getUrlEncoder().withoutPadding().encodeToString((at + "|" + id).getBytes(StandardCharsets.UTF_8));
    }

    public static Instant at(Keyset k) {
        return k == null ? null : k.at();
    }

    public static UUID id(Keyset k) {
        return k == null ? null : k.id();
    }

    /** The page of {@code limit} items from {@code rows} (fetched with limit + 1), with the next page's cursor. */
    public static <T> Page<T> page(List<T> rows, int limit, Function<T, Instant> at, Function<T, UUID> id) {
        List<T> items = List.copyOf(rows.subList(0, Math.min(limit, rows.size())));
        String next = rows.size() > limit ? new Keyset(at.apply(items.getLast()), id.apply(items.getLast())).encode() : null;
        return new Page<>(items, next);
    }
}
