package io.sagawarden.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads a test database directly, to check invariants from the source of truth. */
public final class Db {

    private final String url;

    public Db(String database) {
        this.url = PostgresTestDatabase.url(database);
    }

    private Db(String url, boolean isUrl) {
        this.url = url;
    }

    /** The database behind a JDBC URL, e.g. the one a {@code @QuarkusTest} runs against. */
    public static Db ofUrl(String jdbcUrl) {
        return new Db(jdbcUrl, true);
    }

    /** Every row of {@code sql}, each as column name to value. */
    public List<Map<String, Object>> rows(String sql) {
        try (Connection c = DriverManager.getConnection(url, PostgresTestDatabase.USER, PostgresTestDatabase.PASSWORD);
             Statement s = timed(c.createStatement()); ResultSet rs = s.executeQuery(sql)) {
            List<Map<String, Object>> rows = new ArrayList<>();
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (int i = 1; i <= columns; i++) {
                    row.put(rs.getMetaData().getColumnLabel(i), rs.getObject(i));
                }
                rows.add(row);
            }
            return rows;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A statement that fails after a minute instead of hanging a test that blocked on a lock of its own. */
    private static Statement timed(Statement statement) throws SQLException {
        statement.setQueryTimeout(60);
        return statement;
    }

    /** A connection of the caller's own, e.g. to hold a row lock in an open transaction while the service works. */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(url, PostgresTestDatabase.USER, PostgresTestDatabase.PASSWORD);
    }

    public long count(String sql) {
        return ((Number) rows(sql).getFirst().values().iterator().next()).longValue();
    }

    public void execute(String sql) {
        try (Connection c = DriverManager.getConnection(url, PostgresTestDatabase.USER, PostgresTestDatabase.PASSWORD);
             Statement s = timed(c.createStatement())) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Until closed, a step whose stored reply holds {@code marker} is refused the way PostgreSQL refuses data
     * (SQLSTATE 22000): whatever the checks before the database miss.
     */
    public AutoCloseable refusingReplies(String marker) {
        execute("""
                CREATE FUNCTION refuse_marked_replies() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.response::text LIKE '%%%s%%' THEN
                        RAISE EXCEPTION 'refused' USING ERRCODE = 'data_exception';
                    END IF;
                    RETURN NEW;
                END $$;
                CREATE TRIGGER refuse_marked_replies BEFORE UPDATE ON saga_steps
                    FOR EACH ROW EXECUTE FUNCTION refuse_marked_replies();""".formatted(marker.replace("'", "''")));
        return () -> execute("DROP TRIGGER refuse_marked_replies ON saga_steps; DROP FUNCTION refuse_marked_replies()");
    }
}
