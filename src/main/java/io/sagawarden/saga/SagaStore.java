package io.sagawarden.saga;

import io.sagawarden.db.Json;
import io.sagawarden.db.Sql;
import io.sagawarden.lock.Wakeups;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The one owner of {@code sagas}, {@code saga_steps} and {@code saga_events}: every statement that writes them,
 * each a guarded statement named after the transition it makes (docs/state_machine.md), inside the caller's
 * transaction. The history is written here only, from typed {@link SagaEvent}s.
 */
@ApplicationScoped
public class SagaStore implements Wakeups {

    private final Sql sql;
    private final Json json;
    private final Event<SagaRecorded> recorded;

    public SagaStore(Sql sql, Json json, Event<SagaRecorded> recorded) {
        this.sql = sql;
        this.json = json;
        this.recorded = recorded;
    }

    // ---- submission

    /**
     * Stores a new saga PENDING with its steps, and {@code submitted} as its first event: its submitter, its
     * idempotency key, what it is a copy of. Empty when the submitter's idempotency key is taken already.
     */
    public Optional<Instant> insert(UUID id, SagaRequest definition, String definitionJson, String hash, TraceParent trace,
                                    SagaEvent.Submitted submitted) {
        List<SagaRequest.Step> steps = definition.steps();
        // One statement: the saga, its steps and its first event, or nothing when the idempotency key is taken.
        Optional<Instant> created = sql.queryOne("""
                WITH saga AS (
                    INSERT INTO sagas (id, type, status, priority, definition, payload, labels, on_deadlock, timeout_ms,
                                       lock_timeout_ms, submitter, idempotency_key, request_hash, trace_parent, next_run_at,
                                       created_at, updated_at, progress_at)
                    VALUES (?, ?, 'PENDING', ?, CAST(? AS jsonb), CAST(? AS jsonb), CAST(? AS jsonb), ?, ?, ?, ?, ?, ?, ?,
                            now(), now(), now(), now())
                    ON CONFLICT (submitter, idempotency_key) DO NOTHING
                    RETURNING id, created_at),
                steps AS (
                    INSERT INTO saga_steps (saga_id, idx, name, compensation_status)
                    SELECT saga.id, s.n - 1, s.name, s.compensation_status
                    FROM saga, unnest(CAST(? AS text[]), CAST(? AS text[])) WITH ORDINALITY AS s(name, compensation_status, n)),
                history AS (
                    INSERT INTO saga_events (saga_id, at, kind, step, detail)
                    SELECT saga.id, clock_timestamp(), ?, ?, CAST(? AS jsonb) FROM saga)
                SELECT created_at FROM saga""", rs -> Sql.instant(rs, "created_at"),
                id, definition.type(), definition.priority(), definitionJson, json.write(definition.payload()),
                json.write(definition.labels()), definition.onDeadlock(), millis(definition.timeout()),
                millis(definition.lockTimeout()), submitted.submitter(), submitted.idempotencyKey(), hash,
                trace == null ? null : trace.stored(), column(steps, SagaRequest.Step::name),
                column(steps, step -> (step.compensation() == null ? CompensationStatus.NOT_NEEDED
                        : CompensationStatus.NOT_STARTED).name()),
                submitted.kind(), submitted.step(), json.write(submitted.detail()));
        created.ifPresent(at -> recorded.fire(new SagaRecorded(id, definition.type(), List.of(submitted))));
        return created;
    }

    /** The saga a submitter's idempotency key names, and the hash of the request that created it. */
    public record Keyed(UUID id, String requestHash) {
    }

    public Optional<Keyed> byIdempotencyKey(String submitter, String key) {
        return sql.queryOne("SELECT id, request_hash FROM sagas WHERE submitter = ? AND idempotency_key = ?",
                rs -> new Keyed(rs.getObject(1, UUID.class), rs.getString(2)), submitter, key);
    }

    /** A saga as a rerun reads it: its state, whose it is, and its stored definition. */
    public record Original(SagaStatus status, String type, String submitter, String definition) {
    }

    /**
     * Reads a saga to run it again, and holds its row until the caller's transaction ends, so that two reruns of it
     * with one idempotency key are made one after the other and the second finds the first's saga.
     */
    public Optional<Original> lockForRerun(UUID id) {
        return sql.queryOne("SELECT status, type, submitter, definition FROM sagas WHERE id = ? FOR NO KEY UPDATE",
                rs -> new Original(SagaStatus.valueOf(rs.getString(1)), rs.getString(2), rs.getString(3), rs.getString(4)),
                id);
    }

    /** The saga an earlier rerun of {@code id} by {@code by} with {@code key} created, from the history. */
    public Optional<UUID> rerunByKey(UUID id, String by, String key) {
        return sql.queryOne("""
                SELECT CAST(detail ->> 'sagaId' AS uuid) FROM saga_events
                WHERE saga_id = ? AND kind = 'RERUN_SUBMITTED' AND detail ->> 'by' = ? AND detail ->> 'idempotencyKey' = ?
                ORDER BY id LIMIT 1""", rs -> rs.getObject(1, UUID.class), id, by, key);
    }

    /** Records in an ended saga's history that it was run again as another saga. */
    public void recordRerun(UUID id, String type, SagaEvent.RerunSubmitted rerun) {
        append(id, type, List.of(rerun));
    }

    // ---- execution

    /**
     * Claims up to {@code limit} due sagas, highest priority first, under a lease for {@code node}: PENDING turns
     * RUNNING, and a saga whose lease expired is taken over. Returns the ids claimed.
     */
    public List<UUID> claim(String node, Duration lease, int limit) {
        return claim("""
                SELECT id, status AS was, lease_owner AS previous_owner FROM sagas
                WHERE status IN ('PENDING', 'RUNNING', 'WAITING', 'COMPENSATING') AND next_run_at <= now()
                  AND next_run_at < 'infinity' AND (lease_owner IS NULL OR lease_expires_at < now())
                ORDER BY priority DESC, next_run_at
                LIMIT ? FOR UPDATE SKIP LOCKED""", limit, node, lease);
    }

    /**
     * Claims a saga just submitted in the caller's transaction, as {@link #claim} would: the submitting node starts
     * it at once. Empty if it is not PENDING (it always is, in the transaction that stored it).
     */
    public Optional<UUID> claimSubmitted(UUID id, String node, Duration lease) {
        return claim("SELECT id, status AS was, lease_owner AS previous_owner FROM sagas WHERE id = ? AND status = 'PENDING'",
                id, node, lease).stream().findFirst();
    }

    /** Claims the sagas {@code picked} selects (its parameter {@code pick}) for {@code node}. */
    private List<UUID> claim(String picked, Object pick, String node, Duration lease) {
        record Claimed(UUID id, String type, String was, String previousOwner) {
        }
        List<Claimed> claimed = sql.query("""
                WITH picked AS (%s)
                UPDATE sagas s SET lease_owner = ?, lease_expires_at = now() + ? * interval '1 millisecond',
                       busy_until = now() + ? * interval '1 millisecond',
                       status = CASE WHEN s.status = 'PENDING' THEN 'RUNNING' ELSE s.status END,
                       started_at = COALESCE(s.started_at, now()),
                       progress_at = CASE WHEN s.status = 'PENDING' THEN now() ELSE s.progress_at END,
                       version = s.version + 1, updated_at = now()
                FROM picked p WHERE s.id = p.id
                RETURNING s.id, s.type, p.was, p.previous_owner""".formatted(picked), rs -> new Claimed(
                rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), rs.getString(4)),
                pick, node, lease.toMillis(), lease.toMillis());
        List<SagaRecorded> events = new ArrayList<>();
        for (Claimed c : claimed) {
            if (c.was().equals("PENDING") || c.previousOwner() != null) {
                events.add(new SagaRecorded(c.id(), c.type(), List.of(new SagaEvent.Claimed(node,
                        c.was().equals("PENDING") ? null : c.previousOwner()))));
            }
        }
        append(events);
        return claimed.stream().map(Claimed::id).toList();
    }

    /** The sagas and their steps, for a node to work on them. */
    public List<StoredSaga> load(List<UUID> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        Map<UUID, List<StoredSaga.Step>> steps = new LinkedHashMap<>();
        sql.query("""
                SELECT saga_id, idx, status, attempts, started_at, ended_at, response, last_error,
                       compensation_status, compensation_attempts, compensation_last_error, may_have_taken_effect
                FROM saga_steps WHERE saga_id = ANY (CAST(? AS uuid[])) ORDER BY saga_id, idx""",
                rs -> steps.computeIfAbsent(rs.getObject("saga_id", UUID.class), k -> new ArrayList<>())
                        .add(new StoredSaga.Step(rs.getInt("idx"), StepStatus.valueOf(rs.getString("status")),
                                rs.getInt("attempts"), Sql.instant(rs, "started_at"), Sql.instant(rs, "ended_at"),
                                json.tree(rs.getString("response")), rs.getString("last_error"),
                                CompensationStatus.valueOf(rs.getString("compensation_status")),
                                rs.getInt("compensation_attempts"), rs.getString("compensation_last_error"),
                                rs.getBoolean("may_have_taken_effect"))), (Object) keys(ids));
        return sql.query("""
                SELECT id, type, priority, definition, payload, started_at, version, status, reason, current_step,
                       restart_count, abort_reason, trace_parent
                FROM sagas WHERE id = ANY (CAST(? AS uuid[]))""", rs -> {
            UUID id = rs.getObject("id", UUID.class);
            return new StoredSaga(id, rs.getString("type"), rs.getInt("priority"),
                    json.read(rs.getString("definition"), SagaRequest.class), json.tree(rs.getString("payload")),
                    Sql.instant(rs, "started_at"), rs.getLong("version"), SagaStatus.valueOf(rs.getString("status")),
                    SagaReason.ofNullable(rs.getString("reason")), rs.getInt("current_step"), rs.getInt("restart_count"),
                    SagaReason.ofNullable(rs.getString("abort_reason")), TraceParent.fromStored(rs.getString("trace_parent"), id),
                    steps.getOrDefault(id, List.of()));
        }, (Object) keys(ids));
    }

    /** Why a move's guarded update matched no row: the saga is gone, or moved on, or an abort arrived meanwhile. */
    public enum MoveRefused { GONE, TAKEN_OVER, ABORT_ARRIVED }

    /**
     * Saves the transitions of many sagas in one statement: each saga row guarded by the version its node knows,
     * the node's lease and the abort request its decision saw; the steps each changed; their events, in order. Only
     * a move whose guard holds changes anything, whatever the others do. A saga's end and its last events share one
     * time: a saga never ends before its last event. Returns the moves refused, each with why.
     */
    public Map<UUID, MoveRefused> saveMoves(List<SagaMove> moves) {
        if (moves.isEmpty()) {
            return Map.of();
        }
        // Rows are locked in id order, so two writers of overlapping sagas take them in one order.
        List<SagaMove> sorted = moves.stream().sorted(Comparator.comparing(SagaMove::id)).toList();
        record StepOf(UUID saga, StoredSaga.Step step) {
        }
        record EventOf(UUID saga, SagaEvent event) {
        }
        List<StepOf> steps = sorted.stream().flatMap(m -> m.steps().stream().map(s -> new StepOf(m.id(), s))).toList();
        List<EventOf> events = sorted.stream().flatMap(m -> m.events().stream().map(e -> new EventOf(m.id(), e))).toList();
        // The ids again as a plain condition on each table: the rows are then found through the primary key
        // whatever join the planner picks, so a plan cached while the tables were small never turns into a scan.
        String[] ids = keys(sorted.stream().map(SagaMove::id).toList());
        List<UUID> saved = sql.query("""
                WITH moved AS (
                    UPDATE sagas s SET status = m.status, reason = m.reason, current_step = m.current_step,
                           version = s.version + 1, updated_at = now(),
                           compensation_reason = CASE WHEN m.status = 'COMPENSATING' THEN m.reason
                                                      ELSE s.compensation_reason END,
                           progress_at = CASE WHEN m.progressed THEN now() ELSE s.progress_at END,
                           busy_until = now() + m.call_timeout * interval '1 millisecond',
                           next_run_at = CASE WHEN m.until_woken THEN 'infinity'
                                              ELSE coalesce(now() + m.retry_after * interval '1 millisecond', s.next_run_at) END,
                           lease_owner = CASE WHEN m.lets_go THEN NULL ELSE s.lease_owner END,
                           lease_expires_at = CASE WHEN m.lets_go THEN NULL ELSE s.lease_expires_at END,
                           ended_at = CASE WHEN m.ends THEN clock_timestamp() END, failed_moves = 0,
                           abort_reason = CASE WHEN m.abort_applied THEN NULL ELSE s.abort_reason END,
                           restart_count = s.restart_count + CASE WHEN m.restarted THEN 1 ELSE 0 END
                    FROM unnest(CAST(? AS uuid[]), CAST(? AS bigint[]), CAST(? AS text[]), CAST(? AS text[]),
                                CAST(? AS int[]), CAST(? AS boolean[]), CAST(? AS bigint[]), CAST(? AS boolean[]),
                                CAST(? AS bigint[]), CAST(? AS boolean[]), CAST(? AS boolean[]), CAST(? AS boolean[]),
                                CAST(? AS boolean[]), CAST(? AS text[]), CAST(? AS text[]))
                         AS m(id, version, status, reason, current_step, progressed, call_timeout, until_woken,
                              retry_after, lets_go, ends, abort_applied, restarted, abort_seen, node)
                    WHERE s.id = ANY (CAST(? AS uuid[])) AND s.id = m.id AND s.version = m.version
                      AND s.lease_owner = m.node AND s.abort_reason IS NOT DISTINCT FROM m.abort_seen
                    RETURNING s.id, s.ended_at),
                steps AS (
                    UPDATE saga_steps t SET status = u.status, attempts = u.attempts, started_at = u.started_at,
                           ended_at = u.ended_at, response = CAST(u.response AS jsonb), last_error = u.last_error,
                           compensation_status = u.compensation_status, compensation_attempts = u.compensation_attempts,
                           compensation_last_error = u.compensation_last_error,
                           may_have_taken_effect = u.may_have_taken_effect
                    FROM moved, unnest(CAST(? AS uuid[]), CAST(? AS int[]), CAST(? AS text[]), CAST(? AS int[]),
                                       CAST(? AS timestamptz[]), CAST(? AS timestamptz[]), CAST(? AS text[]),
                                       CAST(? AS text[]), CAST(? AS text[]), CAST(? AS int[]), CAST(? AS text[]),
                                       CAST(? AS boolean[]))
                         AS u(saga_id, idx, status, attempts, started_at, ended_at, response, last_error,
                              compensation_status, compensation_attempts, compensation_last_error, may_have_taken_effect)
                    WHERE t.saga_id = ANY (CAST(? AS uuid[])) AND u.saga_id = moved.id AND t.saga_id = u.saga_id
                      AND t.idx = u.idx),
                history AS (
                    INSERT INTO saga_events (saga_id, at, kind, step, detail)
                    SELECT moved.id, coalesce(moved.ended_at, clock_timestamp()), e.kind, e.step, CAST(e.detail AS jsonb)
                    FROM moved JOIN unnest(CAST(? AS uuid[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]))
                                    WITH ORDINALITY AS e(saga_id, kind, step, detail, n) ON e.saga_id = moved.id
                    ORDER BY e.n)
                SELECT id FROM moved""", rs -> rs.getObject(1, UUID.class),
                column(sorted, m -> m.id().toString()), column(sorted, m -> Long.toString(m.version())),
                column(sorted, m -> m.status().name()), column(sorted, m -> m.reason() == null ? null : m.reason().name()),
                column(sorted, m -> Integer.toString(m.currentStep())), column(sorted, m -> Boolean.toString(m.progressed())),
                column(sorted, m -> text(millis(m.callTimeout()))), column(sorted, m -> Boolean.toString(m.untilWoken())),
                column(sorted, m -> text(millis(m.retryAfter()))), column(sorted, m -> Boolean.toString(m.letsGo())),
                column(sorted, m -> Boolean.toString(m.status().isTerminal())),
                column(sorted, m -> Boolean.toString(m.abortApplied())), column(sorted, m -> Boolean.toString(m.restarted())),
                column(sorted, m -> m.abortSeen() == null ? null : m.abortSeen().name()), column(sorted, SagaMove::node), ids,
                column(steps, s -> s.saga().toString()), column(steps, s -> Integer.toString(s.step().index())),
                column(steps, s -> s.step().status().name()), column(steps, s -> Integer.toString(s.step().attempts())),
                column(steps, s -> text(s.step().startedAt())), column(steps, s -> text(s.step().endedAt())),
                column(steps, s -> s.step().response() == null ? null : json.write(s.step().response())),
                column(steps, s -> s.step().lastError()), column(steps, s -> s.step().compensationStatus().name()),
                column(steps, s -> Integer.toString(s.step().compensationAttempts())),
                column(steps, s -> s.step().compensationLastError()),
                column(steps, s -> Boolean.toString(s.step().mayHaveTakenEffect())), ids,
                column(events, e -> e.saga().toString()), column(events, e -> e.event().kind()),
                column(events, e -> e.event().step()), column(events, e -> json.write(e.event().detail())));
        Set<UUID> savedIds = new HashSet<>(saved);
        for (SagaMove move : sorted) {
            if (savedIds.contains(move.id())) {
                recorded.fire(new SagaRecorded(move.id(), move.type(), move.events()));
            }
        }
        return saved.size() == sorted.size() ? Map.of()
                : whyRefused(sorted.stream().filter(m -> !savedIds.contains(m.id())).toList());
    }

    /** Why moves matched no row, read after the fact (another transaction changed their sagas). */
    private Map<UUID, MoveRefused> whyRefused(List<SagaMove> refused) {
        Map<UUID, MoveRefused> why = new HashMap<>();
        refused.forEach(m -> why.put(m.id(), MoveRefused.GONE));
        Map<UUID, SagaMove> byId = refused.stream().collect(Collectors.toMap(SagaMove::id, m -> m));
        sql.query("SELECT id, version, lease_owner FROM sagas WHERE id = ANY (CAST(? AS uuid[]))", rs -> {
            SagaMove move = byId.get(rs.getObject(1, UUID.class));
            why.put(move.id(), rs.getLong(2) == move.version() && move.node().equals(rs.getString(3))
                    ? MoveRefused.ABORT_ARRIVED : MoveRefused.TAKEN_OVER);
            return move;
        }, (Object) keys(byId.keySet()));
        return why;
    }

    private static <T> String[] column(List<T> rows, java.util.function.Function<T, String> value) {
        return rows.stream().map(value).toArray(String[]::new);
    }

    private static String text(Object value) {
        return value == null ? null : value.toString();
    }

    /** Extends the leases of the sagas a node still works on; returns how many were renewed. */
    public int renewLeases(String node, Collection<UUID> inHand, Duration lease) {
        return inHand.isEmpty() ? 0 : sql.update("""
                UPDATE sagas SET lease_expires_at = now() + ? * interval '1 millisecond'
                WHERE lease_owner = ? AND id = ANY (CAST(? AS uuid[]))""", lease.toMillis(), node, keys(inHand));
    }

    /** Gives a saga back at shutdown, for any node to take up at once. */
    public void release(UUID id, String node) {
        sql.update("""
                UPDATE sagas SET lease_owner = NULL, lease_expires_at = NULL, busy_until = NULL, updated_at = now(),
                       next_run_at = now()
                WHERE id = ? AND lease_owner = ?""", id, node);
    }

    /**
     * Gives a saga back after the node failed to make its move, to rest {@code rest}; such failures are counted
     * until a move succeeds, since resting is not something legitimately pending.
     */
    public void failedMove(UUID id, String node, Duration rest) {
        sql.update("""
                UPDATE sagas SET lease_owner = NULL, lease_expires_at = NULL, busy_until = NULL, updated_at = now(),
                       next_run_at = now() + ? * interval '1 millisecond', failed_moves = failed_moves + 1
                WHERE id = ? AND lease_owner = ?""", rest.toMillis(), id, node);
    }

    // ---- locks

    /** Makes waiting sagas due as of when they queued, so they are claimed before newer work. */
    @Override
    public List<UUID> wake(Collection<UUID> sagas, boolean skipLocked) {
        // FOR NO KEY UPDATE: a foreign-key check's lock on a row must not make a wake-up skip it.
        return sql.query("""
                UPDATE sagas s SET next_run_at = LEAST(s.next_run_at, coalesce(
                           (SELECT min(w.queued_at) FROM lock_waits w WHERE w.saga_id = s.id), now())), updated_at = now()
                WHERE s.id IN (SELECT id FROM sagas WHERE id = ANY (CAST(? AS uuid[])) AND status = 'WAITING'
                               FOR NO KEY UPDATE""" + (skipLocked ? " SKIP LOCKED" : "") + """
                )
                RETURNING s.id""", rs -> rs.getObject(1, UUID.class), (Object) keys(sagas));
    }

    // ---- operators

    /**
     * Asks a pending, running or waiting saga to stop and compensate; false when it cannot be asked, or when
     * {@code onlyOfSubmitter} is given and the saga is another submitter's.
     */
    public boolean requestAbort(UUID id, String onlyOfSubmitter, SagaReason reason, String by) {
        return appended(id, typeOf("""
                UPDATE sagas SET abort_reason = ?, next_run_at = LEAST(next_run_at, now()), updated_at = now()
                WHERE id = ? AND status IN ('PENDING', 'RUNNING', 'WAITING') AND abort_reason IS NULL
                  AND (CAST(? AS text) IS NULL OR submitter = ?)
                RETURNING type""", reason, id, onlyOfSubmitter, onlyOfSubmitter), new SagaEvent.AbortRequested(reason, by));
    }

    /** A FAILED saga compensates again, for the reason it first did, from the compensations that failed. */
    public boolean reviveFailed(UUID id, String by) {
        Optional<String> type = typeOf("""
                UPDATE sagas SET status = 'COMPENSATING', reason = coalesce(compensation_reason, reason), ended_at = NULL,
                       next_run_at = now(), updated_at = now(), progress_at = now(), version = version + 1
                WHERE id = ? AND status = 'FAILED'
                RETURNING type""", id);
        if (type.isPresent()) {
            sql.update("""
                    UPDATE saga_steps SET compensation_status = 'NOT_STARTED', compensation_attempts = 0
                    WHERE saga_id = ? AND compensation_status = 'FAILED'""", id);
        }
        return appended(id, type, new SagaEvent.RetryRequested(by));
    }

    /**
     * Deletes up to {@code limit} sagas that ended COMPLETED or COMPENSATED before {@code endedBefore}, oldest
     * first, with their history, and their steps (the foreign key cascades); FAILED sagas wait for an operator and stay.
     * Rows another transaction holds are skipped, never waited for. Returns how many went.
     */
    public int deleteEnded(Instant endedBefore, int limit) {
        return sql.queryOne("""
                WITH gone AS (
                    DELETE FROM sagas WHERE id IN (SELECT id FROM sagas
                        WHERE status IN ('COMPLETED', 'COMPENSATED') AND ended_at < ?
                        ORDER BY ended_at LIMIT ? FOR UPDATE SKIP LOCKED)
                    RETURNING id),
                history AS (DELETE FROM saga_events WHERE saga_id IN (SELECT id FROM gone))
                SELECT count(*) FROM gone""", rs -> rs.getInt(1), endedBefore, limit).orElse(0);
    }

    /** A running or compensating saga no live node holds runs its current step again now. */
    public boolean takeOver(UUID id, String by) {
        return appended(id, typeOf("""
                UPDATE sagas SET next_run_at = now(), updated_at = now(),
                       lease_owner = NULL, lease_expires_at = NULL, version = version + 1
                WHERE id = ? AND status IN ('RUNNING', 'COMPENSATING')
                  AND (lease_owner IS NULL OR lease_expires_at < now())
                RETURNING type""", id), new SagaEvent.RetryRequested(by));
    }

    /** What an operator is told about a saga the request could not change. */
    public record State(SagaStatus status, String owner, String submitter) {
    }

    public Optional<State> state(UUID id) {
        return sql.queryOne("SELECT status, lease_owner, submitter FROM sagas WHERE id = ?",
                rs -> new State(SagaStatus.valueOf(rs.getString(1)), rs.getString(2), rs.getString(3)), id);
    }

    // ---- the deadlock detector and the recovery monitor

    /**
     * Makes {@code victim} a deadlock victim, if it still waits with no abort asked for and no member of its cycle is
     * leaving already. The victim's row is skipped, not waited for, when its own move holds it: that move may be
     * waiting for the very advisory locks the caller holds.
     */
    public boolean markVictim(UUID victim, Collection<UUID> cycle, UUID deadlockId, String why) {
        return appended(victim, typeOf("""
                UPDATE sagas SET abort_reason = 'DEADLOCK_VICTIM', next_run_at = now(), updated_at = now()
                WHERE id IN (SELECT id FROM sagas WHERE id = ? AND status = 'WAITING' AND abort_reason IS NULL
                             FOR UPDATE SKIP LOCKED)
                  AND NOT EXISTS (SELECT 1 FROM sagas m WHERE m.id = ANY (CAST(? AS uuid[]))
                                  AND (m.abort_reason IS NOT NULL OR m.status NOT IN ('WAITING', 'RUNNING')))
                RETURNING type""", victim, keys(cycle)), new SagaEvent.DeadlockVictim(deadlockId, why));
    }

    /**
     * Recovers a stuck saga, if it has not moved since it was read ({@code version}): runs its current step again
     * now, or, with {@code compensate}, asks it to compensate with STUCK_RECOVERY. {@code takeLease} takes it from
     * the node that holds it.
     */
    public boolean recover(UUID id, long version, boolean compensate, boolean takeLease, SagaEvent.StuckRecovery event) {
        return appended(id, typeOf("""
                UPDATE sagas SET recovery_count = recovery_count + CASE WHEN ? THEN 0 ELSE 1 END,
                       abort_reason = CASE WHEN ? THEN 'STUCK_RECOVERY' ELSE abort_reason END,
                       next_run_at = now(), updated_at = now(), version = version + 1,
                       lease_owner = CASE WHEN ? THEN NULL ELSE lease_owner END,
                       lease_expires_at = CASE WHEN ? THEN NULL ELSE lease_expires_at END
                WHERE id = ? AND version = ? AND (NOT ? OR abort_reason IS NULL)
                RETURNING type""", compensate, compensate, takeLease, takeLease, id, version, compensate), event);
    }

    // ---- the history

    /** Runs a guarded statement that returns the saga's type when it changed the saga. */
    private Optional<String> typeOf(String statement, Object... params) {
        return sql.queryOne(statement, rs -> rs.getString(1), params);
    }

    /** Records {@code event} when {@code type} says the statement before it changed the saga; returns whether. */
    private boolean appended(UUID id, Optional<String> type, SagaEvent event) {
        type.ifPresent(t -> append(id, t, List.of(event)));
        return type.isPresent();
    }

    private void append(UUID id, String type, List<SagaEvent> events) {
        append(List.of(new SagaRecorded(id, type, events)));
    }

    private void append(List<SagaRecorded> recordings) {
        insert(recordings);
        recordings.forEach(recorded::fire);
    }

    private void insert(UUID id, List<SagaEvent> events) {
        insert(List.of(new SagaRecorded(id, null, events)));
    }

    /**
     * Events on their own (a submission and a move write theirs within their own statement); the kinds are the
     * schema's CHECK, so an unknown kind cannot be stored.
     */
    private void insert(List<SagaRecorded> recordings) {
        List<Object[]> rows = new ArrayList<>();
        recordings.forEach(r -> r.events().forEach(e -> rows.add(new Object[] {r.sagaId(), e.kind(), e.step(),
                json.write(e.detail())})));
        sql.batch("INSERT INTO saga_events (saga_id, at, kind, step, detail) VALUES (?, clock_timestamp(), ?, ?, CAST(? AS jsonb))",
                rows);
    }

    private static String[] keys(Collection<UUID> ids) {
        return ids.stream().map(UUID::toString).toArray(String[]::new);
    }

    private static Long millis(Duration d) {
        return d == null ? null : d.toMillis();
    }
}
