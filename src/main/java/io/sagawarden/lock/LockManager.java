package io.sagawarden.lock;

import io.sagawarden.db.Sql;
import io.sagawarden.db.WorkSignal;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

/**
 * The semantic lock manager, at the database edge. Every operation first takes PostgreSQL advisory locks on
 * the resources it touches, in one sorted order and once per transaction, so lock-manager transactions
 * serialize per resource and can never deadlock in PostgreSQL; it never waits on a saga row (wake-ups skip
 * locked rows). The decisions themselves are {@link LockQueue}'s.
 *
 * <p>A move that may not wait (the claim transaction, which moves many sagas at once) uses try-locks and
 * gets {@link LockGate.Busy} instead of waiting; the saga then makes that move in a transaction of its own.
 */
@ApplicationScoped
public class LockManager {

    /** The advisory-lock namespace of semantic locks, so they never meet another user's advisory keys. */
    private static final int ADVISORY_NAMESPACE = 0x53574C4B;
    /** Every lock mode's name: the bounded queue read asks for the first request of each. */
    private static final String[] MODES = Arrays.stream(LockMode.values()).map(LockMode::name).toArray(String[]::new);

    private final Sql sql;
    private final WorkSignal signal;
    private final Wakeups wakeups;
    private final java.util.function.Consumer<Set<UUID>> wakeAfterCommit;

    public LockManager(Sql sql, WorkSignal signal, Wakeups wakeups, AfterCommitWakeups afterCommit) {
        this.sql = sql;
        this.signal = signal;
        this.wakeups = wakeups;
        this.wakeAfterCommit = afterCommit::schedule;
    }

    /** Acquisition for the state machine; {@code mayWait} false inside a transaction that must not wait. */
    public LockGate gate(boolean mayWait) {
        return (saga, locks) -> acquire(saga, locks, mayWait);
    }

    /**
     * Takes the step's locks in ascending resource order: each one that can be granted now is granted, and at
     * the first that cannot, the saga queues there, once. A saga therefore waits in at most one queue, and
     * sagas that take resources in one order can never deadlock each other. Asked again when woken, locks
     * already held are no-ops and it goes on from where it stopped.
     */
    public LockGate.Outcome acquire(UUID saga, List<LockRequest> locks, boolean mayWait) {
        Map<String, LockMode> wanted = strongestPerResource(locks);
        serialize(wanted.keySet(), mayWait);
        Map<String, LockQueue> queues = queuesAsSeenBy(saga, wanted.keySet());
        String queuedOn = queues.entrySet().stream()
                .filter(e -> e.getValue().waiters().stream().anyMatch(w -> w.saga().equals(saga)))
                .map(Map.Entry::getKey).findFirst().orElse(null);
        Map<String, LockMode> toGrant = new TreeMap<>();
        String blockedAt = null;
        for (Map.Entry<String, LockMode> want : wanted.entrySet()) {
            LockQueue queue = queues.get(want.getKey());
            if (queue.covers(saga, want.getValue())) {
                continue;
            }
            if (!queue.grantable(saga, want.getValue())) {
                blockedAt = want.getKey();
                break;
            }
            toGrant.put(want.getKey(), want.getValue());
        }
        Map<String, Long> tokens = grant(saga, toGrant);
        if (blockedAt == null) {
            if (queuedOn != null) {
                sql.update("DELETE FROM lock_waits WHERE saga_id = ?", saga);
            }
            return new LockGate.Granted(tokens);
        }
        boolean newly = !blockedAt.equals(queuedOn);
        if (newly) {
            // Granted where it was queued before (or never queued): it queues at its next resource now.
            sql.update("DELETE FROM lock_waits WHERE saga_id = ?", saga);
            sql.update("""
                    INSERT INTO lock_waits (resource, saga_id, mode, upgrade, queued_at) VALUES (?, ?, ?, ?, now())""",
                    blockedAt, saga, wanted.get(blockedAt), queues.get(blockedAt).heldBy(saga).isPresent());
            // The deadlock detector's cue, delivered when this transaction commits.
            signal.waitsChanged();
        }
        return new LockGate.Queued(newly, blockedAt, wanted.get(blockedAt), tokens);
    }

    /** The saga ended: its locks and waits go, and the waiters that can now have a resource are woken. */
    public void releaseAll(UUID saga, boolean mayWait) {
        Set<String> resources = new TreeSet<>(sql.query("""
                SELECT resource FROM resource_locks WHERE saga_id = ?
                UNION SELECT resource FROM lock_waits WHERE saga_id = ?""", rs -> rs.getString(1), saga, saga));
        if (resources.isEmpty()) {
            return;
        }
        serialize(resources, mayWait);
        sql.update("DELETE FROM resource_locks WHERE saga_id = ?", saga);
        sql.update("DELETE FROM lock_waits WHERE saga_id = ?", saga);
        wakeWaiters(resources);
    }

    /** The saga stops waiting (it compensates now); whoever queued behind it may go ahead. */
    public void leaveQueues(UUID saga, boolean mayWait) {
        Set<String> resources = new TreeSet<>(sql.query("SELECT resource FROM lock_waits WHERE saga_id = ?",
                rs -> rs.getString(1), saga));
        if (resources.isEmpty()) {
            return;
        }
        serialize(resources, mayWait);
        sql.update("DELETE FROM lock_waits WHERE saga_id = ?", saga);
        wakeWaiters(resources);
    }

    /** What sagas taken up by a node hold and wait for: their fencing tokens and since when they wait, if they do. */
    public record Holdings(Map<String, Long> fencingTokens, Instant waitingSince) {
    }

    public Map<UUID, Holdings> holdings(Collection<UUID> sagas) {
        Map<UUID, Map<String, Long>> tokens = new HashMap<>();
        Map<UUID, Instant> since = new HashMap<>();
        String[] ids = sagas.stream().map(UUID::toString).toArray(String[]::new);
        sql.query("""
                SELECT saga_id, resource, fencing_token, NULL AS queued_at FROM resource_locks
                WHERE saga_id = ANY (CAST(? AS uuid[]))
                UNION ALL
                SELECT saga_id, NULL, NULL, min(queued_at) FROM lock_waits WHERE saga_id = ANY (CAST(? AS uuid[]))
                GROUP BY saga_id""", rs -> {
            UUID saga = rs.getObject(1, UUID.class);
            if (rs.getString(2) != null) {
                tokens.computeIfAbsent(saga, k -> new TreeMap<>()).put(rs.getString(2), rs.getLong(3));
            } else {
                since.put(saga, Sql.instant(rs, "queued_at"));
            }
            return saga;
        }, ids, ids);
        Map<UUID, Holdings> holdings = new HashMap<>();
        for (UUID saga : sagas) {
            holdings.put(saga, new Holdings(tokens.getOrDefault(saga, Map.of()), since.get(saga)));
        }
        return holdings;
    }

    private Map<String, Long> grant(UUID saga, Map<String, LockMode> toGrant) {
        Map<String, Long> tokens = new TreeMap<>();
        if (toGrant.isEmpty()) {
            return tokens;
        }
        sql.query("""
                INSERT INTO resource_locks (resource, saga_id, mode, granted_at, fencing_token)
                SELECT r, ?, m, now(), nextval('fencing_tokens')
                FROM unnest(CAST(? AS text[]), CAST(? AS text[])) AS g(r, m)
                ON CONFLICT (resource, saga_id) DO UPDATE SET mode = EXCLUDED.mode, granted_at = EXCLUDED.granted_at,
                       fencing_token = EXCLUDED.fencing_token
                RETURNING resource, fencing_token""", rs -> tokens.put(rs.getString(1), rs.getLong(2)),
                saga, toGrant.keySet().toArray(String[]::new),
                toGrant.values().stream().map(LockMode::name).toArray(String[]::new));
        return tokens;
    }

    private void wakeWaiters(Collection<String> resources) {
        Set<UUID> wake = new LinkedHashSet<>();
        queues(resources).values().forEach(q -> q.grantableWaiters().forEach(w -> wake.add(w.saga())));
        if (wake.isEmpty()) {
            return;
        }
        // Skip rows another transaction has locked: waiting for them here, while holding advisory locks, could
        // deadlock with that saga's own move.
        List<UUID> woken = wakeups.wake(wake, true);
        if (!woken.isEmpty()) {
            signal.announce();
        }
        wake.removeAll(woken);
        if (!wake.isEmpty()) {
            // The skipped ones are woken again once this transaction has committed, without any lock held.
            wakeAfterCommit.accept(Set.copyOf(wake));
        }
    }

    /** Wakes waiting sagas; called outside any lock-manager transaction, so it may wait for their rows. */
    public int wake(Collection<UUID> sagas) {
        int woken = wakeups.wake(sagas, false).size();
        if (woken > 0) {
            signal.announce();
        }
        return woken;
    }

    /**
     * Serializes the caller's transaction with every lock-manager step on these resources until it ends;
     * the one place outside the lock manager that needs this is a victim's abort, which must see the cycle
     * hold still while it checks it.
     */
    public void holdStill(Collection<String> resources) {
        serialize(new TreeSet<>(resources), true);
    }

    /** Holders and queues of the resources; stable while their advisory locks are held. */
    public Map<String, LockQueue> queues(Collection<String> resources) {
        String[] keys = resources.toArray(String[]::new);
        return read(false, resources, "resource = ANY (CAST(? AS text[]))",
                "FROM lock_waits WHERE resource = ANY (CAST(? AS text[]))", keys, keys);
    }

    /**
     * The queues of the resources as far as {@code saga} needs them to decide its own request: every holder, its
     * own queued request, and of the others only the first request of each mode, upgrade or not. Whether a request
     * conflicts with one ahead of it depends on their modes alone, and a kind's first request is ahead of the saga
     * whenever any of that kind is; so these rows decide as the whole queue would, and stay a handful however long
     * the queue grows. Stable while the resources' advisory locks are held.
     */
    private Map<String, LockQueue> queuesAsSeenBy(UUID saga, Collection<String> resources) {
        String[] keys = resources.toArray(String[]::new);
        return read(false, resources, "resource = ANY (CAST(? AS text[]))", """
                FROM (SELECT first.* FROM unnest(CAST(? AS text[])) AS r(resource), unnest(CAST(? AS text[])) AS m(mode),
                           (VALUES (true), (false)) AS u(upgrade),
                           LATERAL (SELECT * FROM lock_waits w
                                    WHERE w.resource = r.resource AND w.mode = m.mode AND w.upgrade = u.upgrade
                                    ORDER BY w.seq LIMIT 1) AS first
                      UNION
                      SELECT * FROM lock_waits WHERE resource = ANY (CAST(? AS text[])) AND saga_id = ?) AS w""",
                keys, keys, MODES, keys, saga);
    }

    /** The queues of every resource the sagas hold or wait for. */
    public Map<String, LockQueue> queuesOf(Collection<UUID> sagas) {
        String[] ids = sagas.stream().map(UUID::toString).toArray(String[]::new);
        return queues(sql.query("""
                SELECT resource FROM resource_locks WHERE saga_id = ANY (CAST(? AS uuid[]))
                UNION SELECT resource FROM lock_waits WHERE saga_id = ANY (CAST(? AS uuid[]))""", rs -> rs.getString(1),
                ids, ids));
    }

    /**
     * Every queue there is, with its holders, in one statement (one snapshot) read through a cursor: the deadlock
     * detector's view, which at 100,000 waits must not hold every raw row at once. Needs the caller's transaction.
     */
    public Map<String, LockQueue> allQueues() {
        return read(true, List.of(), "resource IN (SELECT resource FROM lock_waits)", "FROM lock_waits");
    }

    /** One resource's rows as they are read. */
    private record Rows(List<LockQueue.Holder> holders, List<LockQueue.Waiter> waiters) {
        Rows() {
            this(new ArrayList<>(1), new ArrayList<>(1));
        }

        LockQueue queue() {
            return new LockQueue(holders, waiters);
        }
    }

    /**
     * The one read of the lock tables: the queues of {@code resources} (each, even if empty) and of any other resource
     * a row is read for. Holders are the rows of {@code resource_locks} that {@code holders} selects, queued requests
     * those of {@code waiters} (a FROM clause over {@code lock_waits} rows), times as epoch microseconds (no timestamp
     * text to parse). With {@code cursor}, rows are fetched a batch at a time (needs the caller's transaction).
     */
    private Map<String, LockQueue> read(boolean cursor, Collection<String> resources, String holders, String waiters,
                                        Object... params) {
        Map<String, Rows> rows = new HashMap<>();
        resources.forEach(r -> rows.put(r, new Rows()));
        String statement = """
                SELECT 0 AS seq, resource, saga_id, mode, false AS upgrade, true AS held, fencing_token,
                       (extract(epoch FROM granted_at) * 1000000)::bigint AS since_us
                FROM resource_locks WHERE %s
                UNION ALL
                SELECT seq, resource, saga_id, mode, upgrade, false, 0, (extract(epoch FROM queued_at) * 1000000)::bigint
                %s""".formatted(holders, waiters);
        Sql.RowConsumer row = rs -> {
            Rows r = rows.computeIfAbsent(rs.getString(2), k -> new Rows());
            UUID saga = rs.getObject(3, UUID.class);
            LockMode mode = LockMode.valueOf(rs.getString(4));
            Instant since = Instant.EPOCH.plus(rs.getLong(8), ChronoUnit.MICROS);
            if (rs.getBoolean(6)) {
                r.holders().add(new LockQueue.Holder(saga, mode, since, rs.getLong(7)));
            } else {
                r.waiters().add(new LockQueue.Waiter(rs.getLong(1), saga, mode, rs.getBoolean(5), since));
            }
        };
        if (cursor) {
            sql.forEach(statement, row, params);
        } else {
            sql.query(statement, rs -> {
                row.accept(rs);
                return true;
            }, params);
        }
        Map<String, LockQueue> queues = new HashMap<>();
        rows.forEach((resource, r) -> queues.put(resource, r.queue()));
        return queues;
    }

    /**
     * Takes the advisory locks of the resources in one ascending order of their keys. Without {@code mayWait}
     * it only tries, and a lock held by another transaction is {@link LockGate.Busy}.
     */
    private void serialize(Collection<String> resources, boolean mayWait) {
        if (resources.isEmpty()) {
            return;
        }
        String keys = resources.stream().map(String::hashCode).distinct().sorted()
                .map(String::valueOf).reduce((a, b) -> a + "," + b).map(k -> "{" + k + "}").orElseThrow();
        if (mayWait) {
            sql.query("SELECT count(pg_advisory_xact_lock(?, k)) FROM unnest(CAST(? AS int[])) AS k",
                    rs -> true, ADVISORY_NAMESPACE, keys);
        } else {
            boolean all = sql.queryOne("SELECT bool_and(pg_try_advisory_xact_lock(?, k)) FROM unnest(CAST(? AS int[])) AS k",
                    rs -> rs.getBoolean(1), ADVISORY_NAMESPACE, keys).orElse(false);
            if (!all) {
                throw new LockGate.Busy();
            }
        }
    }

    private static Map<String, LockMode> strongestPerResource(List<LockRequest> locks) {
        Map<String, LockMode> wanted = new TreeMap<>();
        for (LockRequest lock : locks) {
            wanted.merge(lock.resource(), lock.mode(), (a, b) -> a.covers(b) ? a : b);
        }
        return wanted;
    }
}
