package io.sagawarden.deadlock;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.sagawarden.alert.AlertKind;
import io.sagawarden.alert.Alerts;
import io.sagawarden.db.Sql;
import io.sagawarden.db.WorkSignal;
import io.sagawarden.lock.LockManager;
import io.sagawarden.lock.LockMode;
import io.sagawarden.lock.LockQueue;
import io.sagawarden.saga.Json;
import io.sagawarden.saga.SagaEvents;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
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
    private final SagaEvents events;
    private final WorkSignal signal;
    private final Alerts alerts;

    public DeadlockStore(Sql sql, Json json, LockManager locks, SagaEvents events, WorkSignal signal, Alerts alerts) {
        this.alerts = alerts;
        this.sql = sql;
        this.json = json;
        this.locks = locks;
        this.events = events;
        this.signal = signal;
    }

    /** Changes whenever a wait is queued or leaves; a round over the same waits would find nothing new. */
    public String fingerprint() {
        return sql.queryOne("SELECT coalesce(max(seq), 0) || ':' || count(*) FROM lock_waits", rs -> rs.getString(1))
                .orElse("");
    }

    /**
     * Every wait edge, from one query (one snapshot) of the queued requests and the holders of their
     * resources; who blocks whom is decided by {@link LockQueue}, the same rules the lock manager grants by.
     */
    /** The wait edges, and the waiting sagas that nothing blocks (their wake-up is due, or was lost). */
    public record Waits(List<WaitEdge> edges, Set<UUID> unblocked) {
    }

    public List<WaitEdge> edges() {
        return waits().edges();
    }

    public Waits waits() {
        record Row(long seq, String resource, UUID saga, LockMode mode, boolean upgrade, boolean held, Instant queuedAt) {
        }
        List<Row> rows = QuarkusTransaction.requiringNew().call(() -> sql.query("""
                SELECT 0 AS seq, l.resource, l.saga_id, l.mode, false AS upgrade, true AS held, NULL::timestamptz AS queued_at
                FROM resource_locks l WHERE l.resource IN (SELECT resource FROM lock_waits)
                UNION ALL
                SELECT seq, resource, saga_id, mode, upgrade, false, queued_at FROM lock_waits""",
                rs -> new Row(rs.getLong(1), rs.getString(2), rs.getObject(3, UUID.class), LockMode.valueOf(rs.getString(4)),
                        rs.getBoolean(5), rs.getBoolean(6), Sql.instant(rs, "queued_at"))));
        Map<String, List<LockQueue.Holder>> holders = new HashMap<>();
        Map<String, List<Row>> waits = new HashMap<>();
        for (Row r : rows) {
            if (r.held()) {
                holders.computeIfAbsent(r.resource(), k -> new ArrayList<>()).add(new LockQueue.Holder(r.saga(), r.mode()));
            } else {
                waits.computeIfAbsent(r.resource(), k -> new ArrayList<>()).add(r);
            }
        }
        List<WaitEdge> edges = new ArrayList<>();
        Set<UUID> unblocked = new java.util.HashSet<>();
        waits.forEach((resource, queued) -> {
            LockQueue queue = new LockQueue(holders.getOrDefault(resource, List.of()),
                    queued.stream().map(w -> new LockQueue.Waiter(w.seq(), w.saga(), w.mode(), w.upgrade())).toList());
            for (Row w : queued) {
                List<LockQueue.Blocker> blockers = queue.blockers(w.saga(), w.mode());
                if (blockers.isEmpty()) {
                    unblocked.add(w.saga());
                }
                for (LockQueue.Blocker b : blockers) {
                    edges.add(new WaitEdge(w.saga(), b.saga(), resource, w.mode(), b.mode(), b.kind(), w.queuedAt()));
                }
            }
        });
        return new Waits(edges, unblocked);
    }

    /** What victim choice needs of the given sagas. */
    public Map<UUID, SagaNode> nodes(Set<UUID> ids) {
        if (ids.isEmpty()) {
            return Map.of();
        }
        Map<UUID, SagaNode> nodes = new HashMap<>();
        QuarkusTransaction.requiringNew().run(() -> sql.query("""
                SELECT id, type, priority, started_at, status, abort_reason FROM sagas WHERE id = ANY (CAST(? AS uuid[]))""",
                rs -> nodes.put(rs.getObject(1, UUID.class), new SagaNode(rs.getObject(1, UUID.class), rs.getString(2),
                        rs.getInt(3), Sql.instant(rs, "started_at"), "COMPENSATING".equals(rs.getString(5)),
                        rs.getString(6) != null)),
                (Object) ids.stream().map(UUID::toString).toArray(String[]::new)));
        return nodes;
    }

    /**
     * Aborts the victim if, and only if, its cycle still stands: in one transaction the cycle's resources are
     * held still, every edge is checked again, and the victim's state is compared and set. Returns the id of
     * the deadlock record, or empty when the cycle had changed (a lock was granted or a saga left meanwhile).
     */
    public Optional<UUID> abortVictim(DeadlockFinder.Resolution resolution, Map<UUID, SagaNode> nodes, Instant detectedAt) {
        return QuarkusTransaction.requiringNew().call(() -> {
            List<WaitEdge> cycle = resolution.cycle();
            Set<String> resources = cycle.stream().map(WaitEdge::resource).collect(Collectors.toSet());
            locks.holdStill(resources);
            Map<String, LockQueue> queues = locks.queues(resources);
            for (WaitEdge edge : cycle) {
                boolean stands = queues.get(edge.resource()).blockers(edge.waiter(), edge.requestedMode()).stream()
                        .anyMatch(b -> b.saga().equals(edge.holder()) && b.kind() == edge.kind())
                        && queues.get(edge.resource()).waiters().stream().anyMatch(w -> w.saga().equals(edge.waiter()));
                if (!stands) {
                    return Optional.empty();
                }
            }
            UUID victim = resolution.victim().id();
            Set<String> members = cycle.stream().map(e -> e.waiter().toString()).collect(Collectors.toSet());
            boolean anyLeaving = sql.queryOne("""
                    SELECT count(*) FROM sagas WHERE id = ANY (CAST(? AS uuid[]))
                    AND (abort_reason IS NOT NULL OR status NOT IN ('WAITING', 'RUNNING'))""",
                    rs -> rs.getLong(1) > 0, (Object) members.toArray(String[]::new)).orElse(true);
            // Skip locked: the victim's own move may hold its row while it waits for these resources.
            int aborted = anyLeaving ? 0 : sql.update("""
                    UPDATE sagas SET abort_reason = 'DEADLOCK_VICTIM', next_run_at = now(), updated_at = now()
                    WHERE id IN (SELECT id FROM sagas WHERE id = ? AND status = 'WAITING' AND abort_reason IS NULL
                                 FOR UPDATE SKIP LOCKED)""", victim);
            if (aborted != 1) {
                return Optional.empty();
            }
            UUID id = UUID.randomUUID();
            String text = DeadlockReport.text(cycle, nodes, resolution.victim(), resolution.why());
            sql.update("""
                    INSERT INTO deadlocks (id, detected_at, resolution, victim_saga_id, victim, cycle, text)
                    VALUES (?, ?, 'ABORT_SAGA', ?, CAST(? AS jsonb), CAST(? AS jsonb), ?)""",
                    id, detectedAt, victim, json.write(victimJson(resolution, detectedAt)), json.write(cycleJson(cycle)), text);
            events.append(victim, "DEADLOCK_VICTIM", null, Map.of("deadlockId", id.toString(), "why", resolution.why()));
            alerts.raise(AlertKind.DEADLOCK, victim, "Deadlock of " + cycle.size() + " sagas; saga " + victim + " aborted",
                    text, Map.of("deadlockId", id.toString()));
            signal.announce();
            return Optional.of(id);
        });
    }

    private static Map<String, Object> victimJson(DeadlockFinder.Resolution r, Instant detectedAt) {
        Map<String, Object> victim = new LinkedHashMap<>();
        victim.put("sagaId", r.victim().id());
        victim.put("type", r.victim().type());
        victim.put("priority", r.victim().priority());
        victim.put("runningFor", VictimPolicy.runningFor(r.victim(), detectedAt).toString());
        victim.put("why", r.why());
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
