package io.sagawarden.deadlock;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.sagawarden.alert.AlertKind;
import io.sagawarden.alert.Alerts;
import io.sagawarden.db.Json;
import io.sagawarden.db.Sql;
import io.sagawarden.db.WorkSignal;
import io.sagawarden.lock.LockManager;
import io.sagawarden.lock.LockQueue;
import io.sagawarden.saga.SagaStore;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/** The deadlock detector's SQL: the wait edges in one query, the sagas on cycles, and the victim's abort. */
@ApplicationScoped
public class DeadlockStore {

    private final Sql sql;
    private final Json json;
    private final LockManager locks;
    private final SagaStore sagas;
    private final WorkSignal signal;
    private final Alerts alerts;

    public DeadlockStore(Sql sql, Json json, LockManager locks, SagaStore sagas, WorkSignal signal, Alerts alerts) {
        this.alerts = alerts;
        this.sql = sql;
        this.json = json;
        this.locks = locks;
        this.sagas = sagas;
        this.signal = signal;
    }

    /** Changes whenever a wait is queued or leaves; a round over the same waits would find nothing new. */
    public String fingerprint() {
        return sql.queryOne("SELECT coalesce(max(seq), 0) || ':' || count(*) FROM lock_waits", rs -> rs.getString(1))
                .orElse("");
    }

    /** The wait edges, their queues, and the waiting sagas that nothing blocks (their wake-up is due, or was lost). */
    public record Waits(List<WaitEdge> edges, Map<String, LockQueue> queues, Set<UUID> unblocked) {
    }

    public List<WaitEdge> edges() {
        return waits().edges();
    }

    /**
     * The wait edges, from the lock manager's one read of every queue and the holders of its resource (one
     * snapshot), linear in the waits ({@link QueueEdges}); who blocks whom is decided by {@link LockQueue}'s
     * rules, the ones the lock manager grants by.
     */
    public Waits waits() {
        Map<String, LockQueue> queues = QuarkusTransaction.requiringNew().call(locks::allQueues);
        Map<UUID, Instant> waitingSince = new HashMap<>();
        // A saga waits in one queue at a time; should it ever be in two, it waits since the earlier.
        queues.values().forEach(q -> q.waiters().forEach(w -> waitingSince.merge(w.saga(), w.since(),
                (a, b) -> a.isBefore(b) ? a : b)));
        List<WaitEdge> edges = new ArrayList<>();
        Set<UUID> unblocked = new HashSet<>();
        queues.forEach((resource, queue) -> unblocked.addAll(QueueEdges.of(resource, queue, waitingSince, edges::add)));
        return new Waits(edges, queues, unblocked);
    }

    /** Wakes waiting sagas that nothing blocks: their wake-up is due, or was lost. */
    public void wake(Set<UUID> unblocked) {
        if (!unblocked.isEmpty()) {
            QuarkusTransaction.requiringNew().call(() -> locks.wake(unblocked));
        }
    }

    /** What victim choice needs of the given sagas. */
    public Map<UUID, SagaNode> nodes(Set<UUID> ids) {
        if (ids.isEmpty()) {
            return Map.of();
        }
        Map<UUID, SagaNode> nodes = new HashMap<>();
        QuarkusTransaction.requiringNew().run(() -> sql.forEach("""
                SELECT id, type, priority, started_at, status, abort_reason FROM sagas WHERE id = ANY (CAST(? AS uuid[]))""",
                rs -> nodes.put(rs.getObject(1, UUID.class), new SagaNode(rs.getObject(1, UUID.class), rs.getString(2),
                        rs.getInt(3), Sql.instant(rs, "started_at"), "COMPENSATING".equals(rs.getString(5)),
                        rs.getString(6) != null)),
                (Object) ids.stream().map(UUID::toString).toArray(String[]::new)));
        return nodes;
    }

    /** Deletes up to {@code limit} deadlock records detected before {@code detectedBefore}. Returns how many went. */
    public int deleteDetectedBefore(Instant detectedBefore, int limit) {
        return sql.update("""
                DELETE FROM deadlocks WHERE id IN (SELECT id FROM deadlocks
                    WHERE detected_at < ? ORDER BY detected_at LIMIT ? FOR UPDATE SKIP LOCKED)""", detectedBefore, limit);
    }

    /**
     * Aborts each victim if, and only if, its cycle still stands, all in one transaction: the resources of the
     * cycles are held still, every edge is checked again, and each victim's state is compared and set. Returns,
     * per resolution in order, the id of its deadlock record, or empty when its cycle had changed (a lock was
     * granted or a saga left meanwhile) and the victim was spared.
     */
    public List<Optional<UUID>> abortVictims(List<DeadlockFinder.Resolution> resolutions, Map<UUID, SagaNode> nodes,
                                             Instant detectedAt) {
        if (resolutions.isEmpty()) {
            return List.of();
        }
        return QuarkusTransaction.requiringNew().call(() -> {
            Set<String> resources = resolutions.stream().flatMap(r -> r.cycle().stream()).map(WaitEdge::resource)
                    .collect(Collectors.toSet());
            locks.holdStill(resources);
            Map<String, LockQueue> queues = locks.queues(resources);
            List<Optional<UUID>> outcomes = new ArrayList<>();
            for (DeadlockFinder.Resolution resolution : resolutions) {
                boolean stands = resolution.cycle().stream().allMatch(edge -> stands(edge, queues.get(edge.resource())));
                outcomes.add(stands ? abortVictim(resolution, nodes, detectedAt) : Optional.empty());
            }
            if (outcomes.stream().anyMatch(Optional::isPresent)) {
                signal.announce();
            }
            return outcomes;
        });
    }

    private static boolean stands(WaitEdge edge, LockQueue queue) {
        return queue.waiters().stream().anyMatch(w -> w.saga().equals(edge.waiter()))
                && queue.blockers(edge.waiter(), edge.requestedMode()).stream()
                        .anyMatch(b -> b.saga().equals(edge.holder()) && b.kind() == edge.kind());
    }

    /** Part of {@link #abortVictims}'s transaction, with the cycle's resources held still and its edges checked. */
    private Optional<UUID> abortVictim(DeadlockFinder.Resolution resolution, Map<UUID, SagaNode> nodes, Instant detectedAt) {
        List<WaitEdge> cycle = resolution.cycle();
        UUID victim = resolution.victim().id();
        List<UUID> members = cycle.stream().map(WaitEdge::waiter).distinct().toList();
        UUID id = UUID.randomUUID();
        if (!sagas.markVictim(victim, members, id, resolution.why())) {
            return Optional.empty();
        }
        String text = DeadlockReport.text(resolution, nodes);
        sql.update("""
                INSERT INTO deadlocks (id, detected_at, resolution, victim_saga_id, victim, cycle, text)
                VALUES (?, ?, 'ABORT_SAGA', ?, CAST(? AS jsonb), CAST(? AS jsonb), ?)""",
                id, detectedAt, victim, json.write(victimJson(resolution, detectedAt)), json.write(cycleJson(cycle)), text);
        alerts.raise(AlertKind.DEADLOCK, victim, "Deadlock of " + cycle.size() + " sagas; saga " + victim + " aborted",
                text, Map.of("deadlockId", id.toString()));
        return Optional.of(id);
    }

    private static Map<String, Object> victimJson(DeadlockFinder.Resolution r, Instant detectedAt) {
        Map<String, Object> victim = new LinkedHashMap<>();
        victim.put("sagaId", r.victim().id());
        victim.put("type", r.victim().type());
        victim.put("priority", r.victim().priority());
        victim.put("runningFor", VictimPolicy.runningFor(r.victim(), detectedAt).toString());
        victim.put("why", r.why());
        if (!r.spared().isEmpty()) {
            victim.put("spared", r.spared().stream().map(s -> Map.of("sagaId", s.saga().id(), "type", s.saga().type(),
                    "priority", s.saga().priority())).toList());
        }
        return victim;
    }

    private static List<Map<String, Object>> cycleJson(List<WaitEdge> cycle) {
        return cycle.stream().map(e -> {
            Map<String, Object> edge = new LinkedHashMap<>();
            edge.put("waiter", e.waiter());
            edge.put("holder", e.holder());
            edge.put("resource", e.resource());
            edge.put("requestedMode", e.requestedMode());
            edge.put("heldMode", e.heldMode());
            edge.put("kind", e.kind());
            edge.put("waitingSince", e.waitingSince());
            return edge;
        }).toList();
    }
}
