package io.sagawarden.saga;

import io.sagawarden.db.Json;
import io.sagawarden.db.Sql;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.UUID;

/** Appends to a saga's history, inside the caller's transaction. */
@ApplicationScoped
public class SagaEvents {

    private final Sql sql;
    private final Json json;

    public SagaEvents(Sql sql, Json json) {
        this.sql = sql;
        this.json = json;
    }

    public void append(UUID sagaId, String kind, String step, Map<String, ?> detail) {
        sql.update("INSERT INTO saga_events (saga_id, at, kind, step, detail) VALUES (?, clock_timestamp(), ?, ?, CAST(? AS jsonb))",
                sagaId, kind, step, json.write(detail));
    }
}
