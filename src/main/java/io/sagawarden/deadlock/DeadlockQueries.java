package io.sagawarden.deadlock;

import io.sagawarden.db.Json;
import io.sagawarden.db.Keyset;
import io.sagawarden.db.Page;
import io.sagawarden.db.Sql;
import io.sagawarden.problem.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.sql.ResultSet;
import java.sql.SQLException;
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
        Keyset after = Keyset.decode(cursor);
        List<DeadlockView> rows = sql.query("""
                SELECT id, detected_at, resolution, victim, cycle, text FROM deadlocks
                WHERE (CAST(? AS timestamptz) IS NULL OR (detected_at, id) < (CAST(? AS timestamptz), CAST(? AS uuid)))
                ORDER BY detected_at DESC, id DESC LIMIT ?""", this::view, Keyset.at(after), Keyset.at(after), Keyset.id(after), limit + 1);
        return Keyset.page(rows, limit, DeadlockView::detectedAt, DeadlockView::id);
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
