package io.sagawarden.deadlock;

import io.sagawarden.db.Sql;
import io.sagawarden.problem.ProblemException;
import io.sagawarden.problem.QueryParams;
import io.sagawarden.saga.Json;
import io.sagawarden.saga.Page;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/** Reads recorded deadlocks, newest first. */
@ApplicationScoped
public class DeadlockQueries {

    private final Sql sql;
    private final Json json;

    public DeadlockQueries(Sql sql, Json json) {
        this.sql = sql;
        this.json = json;
    }

    @Transactional
    public Page<DeadlockView> list(int limit, String cursor) {
        Instant afterAt = null;
        UUID afterId = null;
        if (cursor != null) {
            try {
                String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
                afterAt = Instant.parse(raw.substring(0, raw.indexOf('|')));
                afterId = UUID.fromString(raw.substring(raw.indexOf('|') + 1));
            } catch (RuntimeException e) {
                throw QueryParams.bad("cursor", "is not a valid cursor");
            }
        }
        List<DeadlockView> rows = sql.query("""
                SELECT id, detected_at, resolution, victim, cycle, text FROM deadlocks
                WHERE (CAST(? AS timestamptz) IS NULL OR (detected_at, id) < (CAST(? AS timestamptz), CAST(? AS uuid)))
                ORDER BY detected_at DESC, id DESC LIMIT ?""", this::view, afterAt, afterAt, afterId, limit + 1);
        List<DeadlockView> items = rows.subList(0, Math.min(limit, rows.size()));
        String next = rows.size() > limit ? Base64.getUrlEncoder().withoutPadding().encodeToString(
                (items.getLast().detectedAt() + "|" + items.getLast().id()).getBytes(StandardCharsets.UTF_8)) : null;
        return new Page<>(List.copyOf(items), next);
    }

    @Transactional
    public DeadlockView get(UUID id) {
        return sql.queryOne("SELECT id, detected_at, resolution, victim, cycle, text FROM deadlocks WHERE id = ?",
                this::view, id).orElseThrow(() -> new ProblemException.NotFound("no deadlock with id " + id));
    }

    private DeadlockView view(ResultSet rs) throws SQLException {
        return new DeadlockView(rs.getObject("id", UUID.class), Sql.instant(rs, "detected_at"), rs.getString("resolution"),
                json.tree(rs.getString("victim")), json.tree(rs.getString("cycle")), rs.getString("text"));
    }
}
