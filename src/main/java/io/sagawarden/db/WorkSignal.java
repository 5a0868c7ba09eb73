package io.sagawarden.db;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * Tells the dispatchers of all nodes that work is due, through a PostgreSQL NOTIFY sent inside the caller's
 * transaction: it is delivered only if that transaction commits.
 */
@ApplicationScoped
public class WorkSignal {

    public static final String CHANNEL = "saga_work";
    /** Notified when a saga starts waiting for a lock: the deadlock detector's cue. */
    public static final String WAITS_CHANNEL = "saga_waits";

    private final Sql sql;

    public WorkSignal(Sql sql) {
        this.sql = sql;
    }

    /** Every node, this one included, looks for due work. */
    public void announce() {
        sql.query("SELECT pg_notify('" + CHANNEL + "', '')", rs -> true);
    }

    /** A saga started waiting for a lock; part of the caller's transaction. */
    public void waitsChanged() {
        sql.query("SELECT pg_notify('" + WAITS_CHANNEL + "', '')", rs -> true);
    }

    /** Every node but {@code sender} looks for due work; the sender wakes itself directly. */
    public void announceToOthers(String sender) {
        sql.query("SELECT pg_notify('" + CHANNEL + "', ?)", rs -> true, sender);
    }
}
