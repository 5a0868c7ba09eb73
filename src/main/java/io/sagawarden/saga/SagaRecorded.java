package io.sagawarden.saga;

import java.util.List;
import java.util.UUID;

/**
 * Events were added to a saga's history. Fired inside the writing transaction by {@link SagaStore}, the one writer
 * of the history: observers that write (alerts) join that transaction, and observers of {@code AFTER_SUCCESS}
 * (metrics) see committed events only. Nothing is derived from the history's JSON.
 */
public record SagaRecorded(UUID sagaId, String type, List<SagaEvent> events) {

    public <T extends SagaEvent> java.util.stream.Stream<T> all(Class<T> kind) {
        return events.stream().filter(kind::isInstance).map(kind::cast);
    }
}
