package io.sagawarden.alert;

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
import java.util.Optional;
import java.util.UUID;

/** Reads alerts for the API, the console and the sinks. */
@ApplicationScoped
public class AlertQueries {

    private static final String COLUMNS = """
            SELECT a.id, a.kind, a.severity, a.saga_id, s.type AS saga_type, a.summary, a.description, a.metadata,
                   a.state, a.created_at, a.acknowledged_at, a.acknowledged_by, a.resolved_at
            FROM alerts a LEFT JOIN sagas s ON s.id = a.saga_id
            """;

    private final Sql sql;
    private final Json json;

    public AlertQueries(Sql sql, Json json) {
        this.sql = sql;
        this.json = json;
    }

    /** Listing filters, each optional. */
    public record Filter(String state, String severity, AlertKind kind, UUID sagaId) {
    }

    /** Newest first. */
    @Transactional
    public Page<AlertView> list(Filter f, int limit, String cursor) {
        Keyset after = Keyset.decode(cursor);
        List<AlertView> rows = sql.query(COLUMNS + """
                 WHERE (CAST(? AS text) IS NULL OR a.state = ?) AND (CAST(? AS text) IS NULL OR a.severity = ?)
                   AND (CAST(? AS text) IS NULL OR a.kind = ?) AND (CAST(? AS uuid) IS NULL OR a.saga_id = ?)
                   AND (CAST(? AS timestamptz) IS NULL OR (a.created_at, a.id) < (CAST(? AS timestamptz), CAST(? AS uuid)))
                 ORDER BY a.created_at DESC, a.id DESC LIMIT ?""", this::view,
                f.state(), f.state(), f.severity(), f.severity(), f.kind(), f.kind(), f.sagaId(), f.sagaId(),
                Keyset.at(after), Keyset.at(after), Keyset.id(after), limit + 1);
        return Keyset.page(rows, limit, AlertView::createdAt, AlertView::id);
    }

    @Transactional
    public AlertView get(UUID id) {
        return find(id).orElseThrow(() -> new ProblemException.NotFound("no alert with id " + id));
    }

    public Optional<AlertView> find(UUID id) {
        return sql.queryOne(COLUMNS + " WHERE a.id = ?", this::view, id);
    }

    private AlertView view(ResultSet rs) throws SQLException {
        return new AlertView(rs.getObject("id", UUID.class), AlertKind.valueOf(rs.getString("kind")), rs.getString("severity"),
                rs.getObject("saga_id", UUID.class), rs.getString("saga_type"), rs.getString("summary"),
                rs.getString("description"), json.tree(rs.getString("metadata")), rs.getString("state"),
                Sql.instant(rs, "created_at"), Sql.instant(rs, "acknowledged_at"), rs.getString("acknowledged_by"),
                Sql.instant(rs, "resolved_at"));
    }
}
