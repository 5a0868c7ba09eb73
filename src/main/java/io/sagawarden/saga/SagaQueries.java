package io.sagawarden.saga;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.panache.common.Sort;
import io.sagawarden.db.Json;
import io.sagawarden.db.Keyset;
import io.sagawarden.db.Page;
import io.sagawarden.db.Sql;
import io.sagawarden.lock.LockManager;
import io.sagawarden.lock.LockQueue;
import io.sagawarden.problem.FieldError;
import io.sagawarden.problem.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The read side of sagas: the view, the listing and the history. Rows are read as Panache entities where a plain
 * query fits, and through {@link Sql} with a typed row mapper where PostgreSQL must do the work (jsonb label
 * containment, keyset paging); locks and waits come from the lock manager's one read of the queues. A view is
 * read in one snapshot, so its steps, locks and waits agree with each other.
 */
@ApplicationScoped
public class SagaQueries {

    /** Beyond any deadline a saga can have (saga.limits.max-duration); 'infinity' reads as later still. */
    private static final Instant NEVER = Instant.parse("9999-01-01T00:00:00Z");

    private final Sql sql;
    private final Json json;
    private final LockManager locks;
    private final Clock clock;

    public SagaQueries(Sql sql, Json json, LockManager locks, Clock clock) {
        this.sql = sql;
        this.json = json;
        this.locks = locks;
        this.clock = clock;
    }

    /** Listing filters; every one optional but the scope. Labels are {@code key:value} and must all match. */
    public record Filter(SagaStatus status, String type, List<String> labels, SagaScope scope) {
    }

    /** The saga as the API shows it; a saga outside {@code scope} is as absent as one that never was. */
    @Transactional(Transactional.TxType.REQUIRES_NEW)
    public SagaView view(UUID id, SagaScope scope) {
        sql.update("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
        SagaEntity saga = SagaEntity.findById(id);
        if (saga == null || !scope.includes(saga.submitter)) {
            throw notFound(id);
        }
        List<SagaStepEntity> steps = SagaStepEntity.list("sagaId", Sort.by("idx"), id);
        String current = saga.status.isTerminal() || saga.currentStep >= steps.size()
                ? null : steps.get(saga.currentStep).name;
        Map<String, LockQueue> queues = locks.queuesOf(List.of(id));
        Instant now = clock.instant();
        JsonNode payload = json.tree(saga.payload);
        Map<String, JsonNode> responses = new HashMap<>();
        steps.stream().filter(s -> s.response != null).forEach(s -> responses.put(s.name, json.tree(s.response)));
        RequestPreviews previews = new RequestPreviews(id, saga.restartCount + 1,
                json.read(saga.definition, SagaRequest.class).steps(), payload, responses::get);
        List<SagaEventEntity> events = SagaEventEntity.list("sagaId = ?1 and kind in ?2", Sort.by("id"), id,
                ViewHistory.KINDS);
        ViewHistory history = ViewHistory.of(events.stream().map(this::eventView).toList());
        return new SagaView(saga.id, saga.type, saga.submitter, saga.status, saga.reason, saga.priority,
                json.stringMap(saga.labels), saga.createdAt, saga.startedAt, saga.updatedAt, saga.endedAt,
                nextAttempt(saga, now), current, payload,
                steps.stream().map(s -> stepView(s, responses.get(s.name), previews, history)).toList(),
                held(id, queues), waitingFor(id, queues), TraceParent.fromStored(saga.traceParent, saga.id).traceId(),
                history.rerunOf(), history.reruns(),
                SagaActions.of(saga.status, saga.abortReason, saga.leaseOwner, saga.leaseExpiresAt, now));
    }

    /**
     * When a saga that is not running now runs again by itself: its next_run_at, while that lies ahead. A waiting
     * saga that only a release wakes has 'infinity' there, which reads as a date no deadline comes near.
     */
    private static Instant nextAttempt(SagaEntity saga, Instant now) {
        Instant next = saga.nextRunAt;
        return saga.status.isTerminal() || next == null || !next.isAfter(now) || next.isAfter(NEVER) ? null : next;
    }

    @Transactional
    public Page<SagaSummary> list(Filter filter, int limit, String cursor) {
        StringBuilder query = new StringBuilder("""
                SELECT s.id, s.type, s.submitter, s.status, s.reason, s.priority, s.labels, s.created_at, s.started_at,
                       s.updated_at, s.ended_at, CASE WHEN s.ended_at IS NULL THEN st.name END AS current_step
                FROM sagas s LEFT JOIN saga_steps st ON st.saga_id = s.id AND st.idx = s.current_step
                WHERE (CAST(? AS text) IS NULL OR s.status = ?) AND (CAST(? AS text) IS NULL OR s.type = ?)
                  AND (CAST(? AS text) IS NULL OR s.submitter = ?)""");
        List<Object> params = new ArrayList<>(Arrays.asList(nullable(filter.status()), nullable(filter.status()),
                nullable(filter.type()), nullable(filter.type()), filter.scope().submitter(), filter.scope().submitter()));
        for (String label : filter.labels()) {
            int colon = label.indexOf(':');
            if (colon <= 0) {
                throw new ProblemException.BadRequest("label filters are key:value",
                        List.of(new FieldError("label", "must be key:value, got '" + label + "'")));
            }
            query.append(" AND s.labels @> CAST(? AS jsonb)");
            params.add(json.write(Map.of(label.substring(0, colon), label.substring(colon + 1))));
        }
        Keyset after = Keyset.decode(cursor);
        if (after != null) {
            query.append(" AND (s.created_at, s.id) < (?, ?)");
            params.add(after.at());
            params.add(after.id());
        }
        query.append(" ORDER BY s.created_at DESC, s.id DESC LIMIT ?");
        params.add(limit + 1);
        List<SagaSummary> items = sql.query(query.toString(), rs -> new SagaSummary(rs.getObject("id", UUID.class),
                rs.getString("type"), rs.getString("submitter"), SagaStatus.valueOf(rs.getString("status")),
                SagaReason.ofNullable(rs.getString("reason")), rs.getInt("priority"),
                json.stringMap(rs.getString("labels")), Sql.instant(rs, "created_at"), Sql.instant(rs, "started_at"),
                Sql.instant(rs, "updated_at"), Sql.instant(rs, "ended_at"), rs.getString("current_step")),
                params.toArray());
        return Keyset.page(items, limit, SagaSummary::createdAt, SagaSummary::id);
    }

    @Transactional
    public List<EventView> events(UUID sagaId, SagaScope scope) {
        SagaEntity saga = SagaEntity.findById(sagaId);
        if (saga == null || !scope.includes(saga.submitter)) {
            throw notFound(sagaId);
        }
        List<SagaEventEntity> events = SagaEventEntity.list("sagaId", Sort.by("id"), sagaId);
        return events.stream().map(this::eventView).toList();
    }

    private EventView eventView(SagaEventEntity e) {
        return new EventView(e.at, e.kind, e.step, json.tree(e.detail));
    }

    private static SagaView.Step stepView(SagaStepEntity s, JsonNode response, RequestPreviews previews,
                                          ViewHistory history) {
        RequestPreviews.Preview action = previews.action(s.idx);
        RequestPreviews.Preview compensation = previews.compensation(s.idx);
        ViewHistory.Calls calls = history.calls(s.name);
        return new SagaView.Step(s.name, s.status, s.attempts, s.startedAt, s.endedAt, action.request(), action.note(),
                response, s.lastError, calls.shown(), calls.omitted(), new SagaView.Compensation(s.compensationStatus,
                s.compensationAttempts, s.compensationLastError, compensation.request(), compensation.note()));
    }

    private static List<SagaView.Lock> held(UUID sagaId, Map<String, LockQueue> queues) {
        List<SagaView.Lock> held = new ArrayList<>();
        queues.forEach((resource, queue) -> queue.holders().stream().filter(h -> h.saga().equals(sagaId))
                .forEach(h -> held.add(new SagaView.Lock(resource, h.mode(), h.since(), h.fencingToken()))));
        held.sort(Comparator.comparing(SagaView.Lock::resource));
        return held;
    }

    /** The saga's queued request and who blocks it: conflicting holders and conflicting requests ahead. */
    private static SagaView.WaitingFor waitingFor(UUID sagaId, Map<String, LockQueue> queues) {
        SagaView.WaitingFor first = null;
        List<Map.Entry<String, LockQueue>> ordered = queues.entrySet().stream()
                .sorted(Map.Entry.comparingByKey()).toList();
        for (Map.Entry<String, LockQueue> entry : ordered) {
            for (LockQueue.Waiter w : entry.getValue().waiters()) {
                if (!w.saga().equals(sagaId)) {
                    continue;
                }
                List<UUID> blockedBy = entry.getValue().blockers(sagaId, w.mode()).stream()
                        .map(LockQueue.Blocker::saga).distinct().toList();
                SagaView.WaitingFor view = new SagaView.WaitingFor(entry.getKey(), w.mode(), w.since(), blockedBy);
                if (!blockedBy.isEmpty()) {
                    return view;
                }
                first = first == null ? view : first;
            }
        }
        return first;
    }

    static ProblemException.NotFound notFound(UUID id) {
        return new ProblemException.NotFound("no saga with id " + id);
    }

    private static String nullable(Object value) {
        return value == null ? null : value.toString();
    }
}
