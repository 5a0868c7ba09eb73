package io.sagawarden.db;

import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Plain JDBC for the guarded statements of the write path. Inside a JTA transaction the pool hands out the
 * connection enlisted in it, so these statements commit or roll back together with everything else.
 */
@ApplicationScoped
public class Sql {

    /** Maps the current row of a result set. */
    @FunctionalInterface
    public interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    private final AgroalDataSource dataSource;

    private static final int FETCH_SIZE = 5_000;

    public Sql(AgroalDataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * For the rest of the transaction, a prepared statement runs its generic plan rather than one planned for each
     * execution's values. For the engine's transactions, whose statements find every row by key whatever the values:
     * PostgreSQL would otherwise plan anew each time those that take arrays (to a generic plan an array of unknown
     * length looks costlier than the one at hand), and planning the move statement took longer than running it.
     */
    public void reusePlans() {
        update("SET LOCAL plan_cache_mode = force_generic_plan");
    }

    /** Runs an INSERT, UPDATE or DELETE and returns how many rows it touched. */
    public int update(String sql, Object... params) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = prepare(c, sql, params)) {
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw new SqlFailure(sql, e);
        }
    }

    public <T> List<T> query(String sql, RowMapper<T> mapper, Object... params) {
        List<T> rows = new ArrayList<>();
        each(sql, 0, rs -> rows.add(mapper.map(rs)), params);
        return rows;
    }

    /** Takes one row at a time; see {@link #forEach}. */
    @FunctionalInterface
    public interface RowConsumer {
        void accept(ResultSet rs) throws SQLException;
    }

    /**
     * Hands every row of a large result to {@code consumer}, fetched through a cursor {@value #FETCH_SIZE} rows
     * at a time, so the whole result never sits in memory as raw rows. Needs the caller's transaction (a
     * cursor lives in one).
     */
    public void forEach(String sql, RowConsumer consumer, Object... params) {
        each(sql, FETCH_SIZE, consumer, params);
    }

    /** Every row to {@code consumer}; a fetch size of 0 lets the driver read the whole result at once. */
    private void each(String sql, int fetchSize, RowConsumer consumer, Object... params) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = prepare(c, sql, params)) {
            ps.setFetchSize(fetchSize);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    consumer.accept(rs);
                }
            }
        } catch (SQLException e) {
            throw new SqlFailure(sql, e);
        }
    }

    public <T> Optional<T> queryOne(String sql, RowMapper<T> mapper, Object... params) {
        List<T> rows = query(sql, mapper, params);
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.getFirst());
    }

    /** Runs one statement once per parameter row, sent to the server as a single batch. */
    public void batch(String sql, List<Object[]> rows) {
        if (rows.isEmpty()) {
            return;
        }
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (Object[] row : rows) {
                bind(ps, row);
                ps.addBatch();
            }
            ps.executeBatch();
        } catch (SQLException e) {
            throw new SqlFailure(sql, e);
        }
    }

    public static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }

    private static PreparedStatement prepare(Connection c, String sql, Object[] params) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        bind(ps, params);
        return ps;
    }

    private static void bind(PreparedStatement ps, Object[] params) throws SQLException {
        for (int i = 0; i < params.length; i++) {
            Object p = params[i];
            if (p instanceof Instant instant) {
                ps.setTimestamp(i + 1, Timestamp.from(instant));
            } else if (p instanceof Enum<?> e) {
                ps.setString(i + 1, e.name());
            } else {
                ps.setObject(i + 1, p);
            }
        }
    }

    /**
     * A statement failed; carries the SQL so logs show what was attempted. The driver's message is cut short:
     * a failed batch repeats its parameters, which may hold a whole participant reply.
     */
    public static final class SqlFailure extends RuntimeException {
        private static final int MAX_MESSAGE = 500;

        public SqlFailure(String sql, SQLException cause) {
            super(excerpt(cause.getMessage()) + " [SQL state " + cause.getSQLState() + "] in: " + sql.strip(),
                    cause);
        }

        public String sqlState() {
            return getCause() instanceof SQLException s ? s.getSQLState() : null;
        }

        /**
         * True when the database refused the data itself (a data exception, class 22, or a program limit, class
         * 54): the same values would fail again however often they were tried.
         */
        public boolean refusedData() {
            for (SQLException e = (SQLException) getCause(); e != null; e = e.getNextException()) {
                String state = e.getSQLState();
                if (state != null && (state.startsWith("22") || state.startsWith("54"))) {
                    return true;
                }
            }
            return false;
        }

        private static String excerpt(String message) {
            return message == null || message.length() <= MAX_MESSAGE ? message : message.substring(0, MAX_MESSAGE) + "…";
        }
    }
}
