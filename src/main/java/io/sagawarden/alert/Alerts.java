package io.sagawarden.alert;

import io.sagawarden.db.Json;
import io.sagawarden.db.Sql;
import io.sagawarden.problem.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Raises, resolves and acknowledges alerts, inside the caller's transaction. One alert is open per kind and
 * saga at a time (a unique index), and every change is queued for each sink in the same transaction (the
 * outbox), so a sink that is down loses nothing.
 */
@ApplicationScoped
public class Alerts {

    private final Sql sql;
    private final Json json;
    private final AlertConfig config;

    public Alerts(Sql sql, Json json, AlertConfig config) {
        this.sql = sql;
        this.json = json;
        this.config = config;
    }

    /** Opens the alert unless one of this kind is open for the saga already; returns the new alert's id. */
    public Optional<UUID> raise(AlertKind kind, UUID sagaId, String summary, String description, Map<String, ?> metadata) {
        Optional<UUID> id = sql.queryOne("""
                INSERT INTO alerts (id, kind, severity, saga_id, summary, description, metadata, state, created_at)
                VALUES (?, ?, ?, ?, ?, ?, CAST(? AS jsonb), 'OPEN', now())
                ON CONFLICT (kind, saga_id) WHERE state <> 'RESOLVED' DO NOTHING
                RETURNING id""", rs -> rs.getObject(1, UUID.class), UUID.randomUUID(), kind, kind.severity(), sagaId,
                truncate(summary, 500), description, json.write(metadata));
        id.ifPresent(this::enqueue);
        return id;
    }

    /** Resolves the open alert of this kind for the saga, if there is one. */
    public void resolve(AlertKind kind, UUID sagaId) {
        resolveWhere("kind = ? AND saga_id = ?", kind, sagaId);
    }

    /** Resolves every open alert that matches {@code condition} (SQL over the alerts row {@code a}). */
    public int resolveWhere(String condition, Object... params) {
        List<UUID> resolved = sql.query("UPDATE alerts a SET state = 'RESOLVED', resolved_at = now() "
                + "WHERE a.state <> 'RESOLVED' AND " + condition + " RETURNING a.id", rs -> rs.getObject(1, UUID.class), params);
        resolved.forEach(this::enqueue);
        return resolved.size();
    }

    /**
     * Deletes up to {@code limit} alerts resolved before {@code resolvedBefore} whose notifications have all gone
     * out (a pending one would be lost with them). Returns how many went.
     */
    public int deleteResolvedBefore(Instant resolvedBefore, int limit) {
        return sql.update("""
                DELETE FROM alerts WHERE id IN (SELECT a.id FROM alerts a
                    WHERE a.state = 'RESOLVED' AND a.resolved_at < ?
                      AND NOT EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.alert_id = a.id AND d.delivered_at IS NULL)
                    ORDER BY a.resolved_at LIMIT ? FOR UPDATE SKIP LOCKED)""", resolvedBefore, limit);
    }

    /** An operator has seen it; acknowledging twice is harmless, a resolved alert cannot be acknowledged. */
    public void acknowledge(UUID id, String by) {
        int acknowledged = sql.update("""
                UPDATE alerts SET state = 'ACKNOWLEDGED', acknowledged_at = now(), acknowledged_by = ?
                WHERE id = ? AND state = 'OPEN'""", by, id);
        if (acknowledged == 1) {
            enqueue(id);
            return;
        }
        String state = sql.queryOne("SELECT state FROM alerts WHERE id = ?", rs -> rs.getString(1), id)
                .orElseThrow(() -> new ProblemException.NotFound("no alert with id " + id));
        if (state.equals("RESOLVED")) {
            throw new ProblemException.Conflict("alert " + id + " is resolved already");
        }
    }

    /** Queues the alert's current state for every sink again (Alertmanager forgets alerts not repeated). */
    public void enqueue(UUID alertId) {
        List<Object[]> rows = new ArrayList<>();
        config.alertmanagerUrls().orElse(List.of()).forEach(url -> rows.add(new Object[] {alertId, "alertmanager:" + url}));
        config.webhookUrls().orElse(List.of()).forEach(url -> rows.add(new Object[] {alertId, "webhook:" + url}));
        sql.batch("INSERT INTO alert_deliveries (alert_id, sink, payload, next_attempt_at) VALUES (?, ?, '{}', now())", rows);
    }

    private static String truncate(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max - 1) + "…";
    }
}
