package io.sagawarden.db;

import java.util.List;

/** A page of a keyset-paginated listing; {@code nextCursor} is null on the last page. */
public record Page<T>(List<T> items, String nextCursor) {
}
