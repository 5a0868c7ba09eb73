package io.sagawarden.saga;

import io.sagawarden.db.Sql;
import io.sagawarden.lock.LockQueries;
import io.sagawarden.lock.LockView;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What an operator looks at first: how many sagas are where, who has waited longest for a lock and behind whom, and
 * which sagas lately failed, compensated or had to be recovered (a STUCK alert resolves when its saga is recovered,
 * and the recovery stays here for the day). Each part is one statement on an index, so the console may ask often.
 */
@ApplicationScoped
public class SagaOverview {

    static final Duration RECENT = Duration.ofHours(24);
    static final int MAX_WAITING = 50;
    static final int MAX_RECENT = 20;

    private final Sql sql;
    private final LockQueries locks;
    private final Clock clock;

    public SagaOverview(Sql sql, LockQueries locks, Clock clock) {
        this.sql = sql;
        this.locks = locks;
        this.clock = clock;
    }

    @Transactional(Transactional.TxType.REQUIRES_NEW)
    public OverviewView overview() {
        sql.update("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
        Instant now = clock.instant();
        Instant since = now.minus(RECENT);
        List<OverviewView.Ended> ended = sql.query("""
                (SELECT id, type, priority, status, reason, ended_at FROM sagas
                 WHERE status = 'FAILED' AND ended_at > ? ORDER BY ended_at DESC LIMIT ?)
                UNION ALL
                (SELECT id, type, priority, status, reason, ended_at FROM sagas
                 WHERE status = 'COMPENSATED' AND ended_at > ? ORDER BY ended_at DESC LIMIT ?)""",
                rs -> new OverviewView.Ended(rs.getObject("id", UUID.class), rs.getString("type"), rs.getInt("priority"),
                        SagaStatus.valueOf(rs.getString("status")), SagaReason.ofNullable(rs.getString("reason")), Sql.instant(rs, "ended_at")),
                since, MAX_RECENT, since, MAX_RECENT);
        return new OverviewView(now, since, counts(since), waiting(now),
                ended.stream().filter(e -> e.status() == SagaStatus.FAILED).toList(),
                ended.stream().filter(e -> e.status() == SagaStatus.COMPENSATED).toList(), recovered(since));
    }

    /** Sagas by status; the ended ones that need nobody are counted for the recent past only, on their index. */
    private Map<SagaStatus, Long> counts(Instant since) {
        Map<SagaStatus, Long> counts = new EnumMap<>(SagaStatus.class);
        for (SagaStatus status : SagaStatus.values()) {
            counts.put(status, 0L);
        }
        sql.query("""
                SELECT status, count(*) FROM sagas WHERE ended_at IS NULL GROUP BY status
                UNION ALL
                SELECT status, count(*) FROM sagas WHERE status = 'FAILED' AND ended_at IS NOT NULL GROUP BY status
                UNION ALL
                SELECT status, count(*) FROM sagas WHERE status IN ('COMPLETED', 'COMPENSATED') AND ended_at > ?
                GROUP BY status""", rs -> counts.put(SagaStatus.valueOf(rs.getString(1)), rs.getLong(2)), since);
        return counts;
    }

    private List<OverviewView.Waiting> waiting(Instant now) {
        List<LockView.Waiting> waits = locks.longestWaits(MAX_WAITING);
        record Saga(String type, int priority, String step) {
        }
        Map<UUID, Saga> sagas = new HashMap<>();
        sql.query("""
                SELECT s.id, s.type, s.priority, st.name FROM sagas s
                LEFT JOIN saga_steps st ON st.saga_id = s.id AND st.idx = s.current_step
                WHERE s.id = ANY (CAST(? AS uuid[]))""",
                rs -> sagas.put(rs.getObject(1, UUID.class), new Saga(rs.getString(2), rs.getInt(3), rs.getString(4))),
                (Object) waits.stream().map(w -> w.sagaId().toString()).toArray(String[]::new));
        return waits.stream().filter(w -> sagas.containsKey(w.sagaId())).map(w -> {
            Saga saga = sagas.get(w.sagaId());
            return new OverviewView.Waiting(w.sagaId(), saga.type(), saga.priority(), saga.step(), w.resource(), w.mode(),
                    w.queuedAt(), Duration.between(w.queuedAt(), now), w.position(), w.blockedBy(), w.blockedByCount());
        }).toList();
    }

    /** Each saga recovered since {@code since} once, with its latest recovery, newest first. */
    private List<OverviewView.Recovered> recovered(Instant since) {
        return sql.query("""
                SELECT r.saga_id, s.type, s.status, s.reason, r.at, r.kind, r.cause, r.recoveries
                FROM (SELECT DISTINCT ON (saga_id) saga_id, at, kind, detail ->> 'cause' AS cause,
                             count(*) OVER (PARTITION BY saga_id) AS recoveries
                      FROM saga_events
                      WHERE kind IN ('STUCK_RECOVERY_RETRY', 'STUCK_RECOVERY_COMPENSATE') AND at > ?
                      ORDER BY saga_id, at DESC, id DESC) r
                JOIN sagas s ON s.id = r.saga_id
                ORDER BY r.at DESC LIMIT ?""",
                rs -> new OverviewView.Recovered(rs.getObject("saga_id", UUID.class), rs.getString("type"),
                        SagaStatus.valueOf(rs.getString("status")), SagaReason.ofNullable(rs.getString("reason")), Sql.instant(rs, "at"), rs.getString("kind"),
                        rs.getString("cause"), rs.getInt("recoveries")), since, MAX_RECENT);
    }
}
