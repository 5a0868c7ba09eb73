package io.sagawarden.lock;

import io.sagawarden.db.Sql;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Reads the lock tables for operators: who holds what, who waits for what and behind whom. */
@ApplicationScoped
public class LockQueries {

    private final Sql sql;

    public LockQueries(Sql sql) {
        this.sql = sql;
    }

    private record Row(long seq, String resource, UUID saga, LockMode mode, boolean upgrade, boolean held, Instant at,
                       long fencingToken) {
    }

    /** Every lock and wait on the resources that match; both filters optional. */
    @Transactional
    public LockView locks(String resource, UUID sagaId, int limit) {
        // One statement, one snapshot: the queues shown are consistent with each other.
        List<Row> rows = sql.query("""
                WITH chosen AS (
                    SELECT DISTINCT resource FROM (
                        SELECT resource, saga_id FROM resource_locks UNION ALL SELECT resource, saga_id FROM lock_waits) a
                    WHERE (CAST(? AS text) IS NULL OR resource = ?) AND (CAST(? AS uuid) IS NULL OR saga_id = CAST(? AS uuid))
                    ORDER BY resource LIMIT ?)
                SELECT 0 AS seq, l.resource, l.saga_id, l.mode, false AS upgrade, true AS held, l.granted_at AS at,
                       l.fencing_token
                FROM resource_locks l JOIN chosen USING (resource)
                UNION ALL
                SELECT w.seq, w.resource, w.saga_id, w.mode, w.upgrade, false, w.queued_at, 0
                FROM lock_waits w JOIN chosen USING (resource)""", rs -> new Row(rs.getLong("seq"), rs.getString("resource"),
                rs.getObject("saga_id", UUID.class), LockMode.valueOf(rs.getString("mode")), rs.getBoolean("upgrade"),
                rs.getBoolean("held"), Sql.instant(rs, "at"), rs.getLong("fencing_token")),
                resource, resource, sagaId, sagaId, limit);
        Map<String, List<Row>> byResource = new HashMap<>();
        rows.forEach(r -> byResource.computeIfAbsent(r.resource(), k -> new ArrayList<>()).add(r));
        List<LockView.Held> held = new ArrayList<>();
        List<LockView.Waiting> waiting = new ArrayList<>();
        byResource.forEach((res, list) -> {
            LockQueue queue = new LockQueue(
                    list.stream().filter(Row::held).map(r -> new LockQueue.Holder(r.saga(), r.mode())).toList(),
                    list.stream().filter(r -> !r.held()).map(r -> new LockQueue.Waiter(r.seq(), r.saga(), r.mode(), r.upgrade())).toList());
            Map<UUID, Instant> queuedAt = new HashMap<>();
            list.forEach(r -> {
                if (r.held()) {
                    if (sagaId == null || sagaId.equals(r.saga())) {
                        held.add(new LockView.Held(res, r.saga(), r.mode(), r.at(), r.fencingToken()));
                    }
                } else {
                    queuedAt.put(r.saga(), r.at());
                }
            });
            List<LockQueue.Waiter> order = queue.waiters();
            for (int i = 0; i < order.size(); i++) {
                LockQueue.Waiter w = order.get(i);
                if (sagaId == null || sagaId.equals(w.saga())) {
                    waiting.add(new LockView.Waiting(res, w.saga(), w.mode(), w.upgrade(), queuedAt.get(w.saga()), i + 1,
                            queue.blockers(w.saga(), w.mode()).stream().map(LockQueue.Blocker::saga).distinct().toList()));
                }
            }
        });
        held.sort(Comparator.comparing(LockView.Held::resource).thenComparing(LockView.Held::grantedAt));
        waiting.sort(Comparator.comparing(LockView.Waiting::resource).thenComparingInt(LockView.Waiting::position));
        return new LockView(held, waiting);
    }
}
