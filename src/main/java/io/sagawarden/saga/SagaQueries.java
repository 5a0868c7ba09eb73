package io.sagawarden.saga;

import io.quarkus.panache.common.Sort;
import io.sagawarden.db.Json;
import io.sagawarden.db.Keyset;
import io.sagawarden.db.Page;
import io.sagawarden.lock.LockMode;
import io.sagawarden.lock.LockQueue;
import io.sagawarden.problem.FieldError;
import io.sagawarden.problem.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Query;
import jakarta.transaction.Transactional;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The read side of sagas: the view, the listing and the history. */
@ApplicationScoped
public class SagaQueries {

    private final EntityManager em;
    private final Json json;

    public SagaQueries(EntityManager em, Json json) {
        this.em = em;
        this.json = json;
    }

    /** Listing filters; every one optional. Labels are {@code key:value} and must all match. */
    public record Filter(SagaStatus status, String type, List<String> labels) {
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public SagaView view(UUID id) {
        SagaEntity saga = SagaEntity.findById(id);
        if (saga == null) {
            throw new ProblemException.NotFound("no saga with id " + id);
        }
        List<SagaStepEntity> steps = SagaStepEntity.list("sagaId", Sort.by("idx"), id);
        String current = saga.status.isTerminal() || saga.currentStep >= steps.size()
                ? null : steps.get(saga.currentStep).name;
        return new SagaView(saga.id, saga.type, saga.status, saga.reason, saga.priority,
                json.stringMap(saga.labels), saga.createdAt, saga.startedAt, saga.updatedAt, saga.endedAt, current,
                steps.stream().map(this::stepView).toList(), locks(id), waitingFor(id));
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public Page<SagaSummary> list(Filter filter, int limit, String cursor) {
        StringBuilder sql = new StringBuilder("""
                SELECT s.id, s.type, s.status, s.reason, s.priority, s.labels, s.created_at, s.started_at,
                       s.updated_at, s.ended_at,
                       CASE WHEN s.ended_at IS NULL THEN st.name END
                FROM sagas s LEFT JOIN saga_steps st ON st.saga_id = s.id AND st.idx = s.current_step
                WHERE true""");
        Map<String, Object> params = new LinkedHashMap<>();
        if (filter.status() != null) {
            sql.append(" AND s.status = :status");
            params.put("status", filter.status().name());
        }
        if (filter.type() != null) {
            sql.append(" AND s.type = :type");
            params.put("type", filter.type());
        }
        for (int i = 0; i < filter.labels().size(); i++) {
            String label = filter.labels().get(i);
            int colon = label.indexOf(':');
            if (colon <= 0) {
                throw new ProblemException.BadRequest("label filters are key:value",
                        List.of(new FieldError("label", "must be key:value, got '" + label + "'")));
            }
            sql.append(" AND s.labels @> CAST(:label").append(i).append(" AS jsonb)");
            params.put("label" + i, json.write(Map.of(label.substring(0, colon), label.substring(colon + 1))));
        }
        Keyset after = Keyset.decode(cursor);
        if (after != null) {
            sql.append(" AND (s.created_at, s.id) < (:afterAt, :afterId)");
            params.put("afterAt", after.at());
            params.put("afterId", after.id());
        }
        sql.append(" ORDER BY s.created_at DESC, s.id DESC LIMIT :limit");
        params.put("limit", limit + 1);
        Query query = em.createNativeQuery(sql.toString());
        params.forEach(query::setParameter);
        @SuppressWarnings("unchecked")
        List<Object[]> rows = query.getResultList();
        List<SagaSummary> items = new ArrayList<>();
        for (Object[] r : rows) {
            items.add(new SagaSummary(Rows.uuid(r[0]), Rows.string(r[1]), SagaStatus.valueOf(Rows.string(r[2])),
                    r[3] == null ? null : SagaReason.valueOf(Rows.string(r[3])), Rows.integer(r[4]),
                    json.stringMap(Rows.string(r[5])), Rows.instant(r[6]), Rows.instant(r[7]), Rows.instant(r[8]),
                    Rows.instant(r[9]), Rows.string(r[10])));
        }
        return Keyset.page(items, limit, SagaSummary::createdAt, SagaSummary::id);
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public List<EventView> events(UUID sagaId) {
        if (SagaEntity.count("id", sagaId) == 0) {
            throw new ProblemException.NotFound("no saga with id " + sagaId);
        }
        List<SagaEventEntity> events = SagaEventEntity.list("sagaId", Sort.by("id"), sagaId);
        return events.stream().map(e -> new EventView(e.at, e.kind, e.step, json.tree(e.detail))).toList();
    }

    private SagaView.Step stepView(SagaStepEntity s) {
        return new SagaView.Step(s.name, s.status, s.attempts, s.startedAt, s.endedAt, json.tree(s.response),
                s.lastError, new SagaView.Compensation(s.compensationStatus, s.compensationAttempts,
                s.compensationLastError));
    }

    private List<SagaView.Lock> locks(UUID sagaId) {
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em.createNativeQuery("""
                SELECT resource, mode, granted_at, fencing_token FROM resource_locks
                WHERE saga_id = :saga ORDER BY resource""").setParameter("saga", sagaId).getResultList();
        return rows.stream().map(r -> new SagaView.Lock(Rows.string(r[0]), LockMode.valueOf(Rows.string(r[1])),
                Rows.instant(r[2]), Rows.longValue(r[3]))).toList();
    }

    /** The saga's queued request and who blocks it: conflicting holders and conflicting requests ahead. */
    private SagaView.WaitingFor waitingFor(UUID sagaId) {
        @SuppressWarnings("unchecked")
        List<Object[]> waits = em.createNativeQuery("""
                SELECT resource, mode, queued_at FROM lock_waits WHERE saga_id = :saga ORDER BY seq""")
                .setParameter("saga", sagaId).getResultList();
        SagaView.WaitingFor first = null;
        for (Object[] wait : waits) {
            String resource = Rows.string(wait[0]);
            LockMode mode = LockMode.valueOf(Rows.string(wait[1]));
            List<UUID> blockedBy = queue(resource).blockers(sagaId, mode).stream()
                    .map(LockQueue.Blocker::saga).distinct().toList();
            SagaView.WaitingFor view = new SagaView.WaitingFor(resource, mode, Rows.instant(wait[2]), blockedBy);
            if (!blockedBy.isEmpty()) {
                return view;
            }
            first = first == null ? view : first;
        }
        return first;
    }

    private LockQueue queue(String resource) {
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em.createNativeQuery("""
                SELECT 0, saga_id, mode, false, true FROM resource_locks WHERE resource = :resource
                UNION ALL
                SELECT seq, saga_id, mode, upgrade, false FROM lock_waits WHERE resource = :resource""")
                .setParameter("resource", resource).getResultList();
        List<LockQueue.Holder> holders = new ArrayList<>();
        List<LockQueue.Waiter> waiters = new ArrayList<>();
        for (Object[] r : rows) {
            LockMode mode = LockMode.valueOf(Rows.string(r[2]));
            if ((Boolean) r[4]) {
                holders.add(new LockQueue.Holder(Rows.uuid(r[1]), mode));
            } else {
                waiters.add(new LockQueue.Waiter(Rows.longValue(r[0]), Rows.uuid(r[1]), mode, (Boolean) r[3]));
            }
        }
        return new LockQueue(holders, waiters);
    }
}
