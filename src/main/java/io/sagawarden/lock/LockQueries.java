package io.sagawarden.lock;

import io.sagawarden.db.Sql;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/** Reads the lock tables for operators: who holds what, who waits for what and behind whom. */
@ApplicationScoped
public class LockQueries {

    private final Sql sql;
    private final LockManager locks;

    public LockQueries(Sql sql, LockManager locks) {
        this.sql = sql;
        this.locks = locks;
    }

    /** Every lock and wait on the resources that match; both filters optional. */
    @Transactional
    public LockView locks(String resource, UUID sagaId, int limit) {
        List<String> chosen = sql.query("""
                SELECT DISTINCT resource FROM (
                    SELECT resource, saga_id FROM resource_locks UNION ALL SELECT resource, saga_id FROM lock_waits) a
                WHERE (CAST(? AS text) IS NULL OR resource = ?) AND (CAST(? AS uuid) IS NULL OR saga_id = CAST(? AS uuid))
                ORDER BY resource LIMIT ?""", rs -> rs.getString(1), resource, resource, sagaId, sagaId, limit);
        // The queues in one read (one snapshot), so those shown are consistent with each other.
        Map<String, LockQueue> queues = locks.queues(chosen);
        List<LockView.Held> held = new ArrayList<>();
        List<LockView.Waiting> waiting = new ArrayList<>();
        queues.forEach((res, queue) -> {
            for (LockQueue.Holder h : queue.holders()) {
                if (sagaId == null || sagaId.equals(h.saga())) {
                    held.add(new LockView.Held(res, h.saga(), h.mode(), h.since(), h.fencingToken()));
                }
            }
            List<LockQueue.Waiter> order = queue.waiters();
            for (int i = 0; i < order.size(); i++) {
                if (sagaId == null || sagaId.equals(order.get(i).saga())) {
                    waiting.add(waiting(res, queue, i));
                }
            }
        });
        held.sort(Comparator.comparing(LockView.Held::resource).thenComparing(LockView.Held::grantedAt));
        waiting.sort(Comparator.comparing(LockView.Waiting::resource).thenComparingInt(LockView.Waiting::position));
        return new LockView(held, waiting);
    }

    /**
     * The {@code limit} requests queued longest, longest first, each with its place and blockers as {@link #locks}
     * shows them: the sagas that have waited longest are the ones an operator looks at first.
     */
    @Transactional
    public List<LockView.Waiting> longestWaits(int limit) {
        record Queued(String resource, UUID saga) {
        }
        List<Queued> oldest = sql.query("SELECT resource, saga_id FROM lock_waits ORDER BY queued_at, seq LIMIT ?",
                rs -> new Queued(rs.getString(1), rs.getObject(2, UUID.class)), limit);
        Map<String, LockQueue> queues = locks.queues(oldest.stream().map(Queued::resource).distinct().toList());
        List<LockView.Waiting> waiting = new ArrayList<>();
        for (Queued q : oldest) {
            List<LockQueue.Waiter> order = queues.get(q.resource()).waiters();
            for (int i = 0; i < order.size(); i++) {
                if (order.get(i).saga().equals(q.saga())) {
                    waiting.add(waiting(q.resource(), queues.get(q.resource()), i));
                }
            }
        }
        waiting.sort(Comparator.comparing(LockView.Waiting::queuedAt));
        return waiting;
    }

    /** The {@code i}-th request in {@code queue}'s order, with its nearest blockers. */
    private static LockView.Waiting waiting(String resource, LockQueue queue, int i) {
        LockQueue.Waiter w = queue.waiters().get(i);
        List<UUID> blockers = nearestFirst(queue.blockers(w.saga(), w.mode()));
        return new LockView.Waiting(resource, w.saga(), w.mode(), w.upgrade(), w.since(), i + 1,
                blockers.subList(0, Math.min(blockers.size(), LockView.MAX_BLOCKERS_SHOWN)), blockers.size());
    }

    /** Holders, then the requests ahead from the nearest back to the front of the queue; each saga once. */
    private static List<UUID> nearestFirst(List<LockQueue.Blocker> blockers) {
        List<UUID> holders = blockers.stream().filter(b -> b.kind() == LockQueue.Kind.HARD).map(LockQueue.Blocker::saga).toList();
        List<UUID> ahead = new ArrayList<>(blockers.stream().filter(b -> b.kind() == LockQueue.Kind.SOFT)
                .map(LockQueue.Blocker::saga).toList());
        Collections.reverse(ahead);
        return Stream.concat(holders.stream(), ahead.stream()).distinct().toList();
    }
}
