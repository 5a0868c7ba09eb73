package io.sagawarden.bench;

import io.sagawarden.testing.Db;

/** The statements that took PostgreSQL's time since {@code pg_stat_statements_reset()}, planning included. */
final class Statements {

    private Statements() {
    }

    /**
     * The top ten by execution and planning time: calls per saga, time per call executing and planning (a statement
     * whose cached plan is used is not planned again), and how many of its calls were planned.
     */
    static String top(Db db, int sagas) {
        StringBuilder out = new StringBuilder(String.format("%8s %8s %9s %8s %8s %7s  %s%n", "calls", "per saga",
                "total ms", "exec ms", "plan ms", "planned", "statement"));
        db.rows("""
                SELECT calls, plans, total_exec_time + total_plan_time AS total, mean_exec_time,
                       total_plan_time / calls AS plan_per_call, left(regexp_replace(query, '\\s+', ' ', 'g'), 100) AS query
                FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND calls > 0
                ORDER BY total_exec_time + total_plan_time DESC LIMIT 10""").forEach(r -> {
            double calls = ((Number) r.get("calls")).doubleValue();
            out.append(String.format("%8.0f %8.2f %9.0f %8.3f %8.3f %6.0f%%  %s%n", calls, calls / sagas,
                    ((Number) r.get("total")).doubleValue(), ((Number) r.get("mean_exec_time")).doubleValue(),
                    ((Number) r.get("plan_per_call")).doubleValue(), ((Number) r.get("plans")).doubleValue() * 100 / calls,
                    r.get("query")));
        });
        return out.toString();
    }
}
