package io.sagawarden.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A fresh, throwaway database on the real PostgreSQL (started by deploy/local/postgres.sh) for each test run,
 * so tests never see another run's rows and need no Docker. Dropped when the run ends.
 */
public class PostgresTestDatabase implements QuarkusTestResourceLifecycleManager {

    public static final String HOST = System.getenv().getOrDefault("SAGA_TEST_PG", "127.0.0.1:5432");
    public static final String USER = "sagawarden";
    public static final String PASSWORD = "sagawarden";
    private static final String ADMIN_URL = "jdbc:postgresql://" + HOST + "/sagawarden_test";

    private String database;

    @Override
    public Map<String, String> start() {
        database = create();
        return Map.of(
                "quarkus.datasource.jdbc.url", url(database),
                "quarkus.datasource.username", USER,
                "quarkus.datasource.password", PASSWORD);
    }

    @Override
    public void stop() {
        if (database != null) {
            drop(database);
        }
    }

    /** Creates an empty database and returns its name. */
    public static String create() {
        String name = "sw_test_" + System.currentTimeMillis() + "_" + ThreadLocalRandom.current().nextInt(1000, 10000);
        execute("CREATE DATABASE " + name);
        return name;
    }

    public static void drop(String name) {
        execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }

    public static String url(String database) {
        return "jdbc:postgresql://" + HOST + "/" + database;
    }

    private static void execute(String ddl) {
        try (Connection c = DriverManager.getConnection(ADMIN_URL, USER, PASSWORD); Statement s = c.createStatement()) {
            s.execute(ddl);
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot reach the test PostgreSQL at " + HOST
                    + " as " + USER + ": run deploy/local/postgres.sh first (" + e.getMessage() + ")", e);
        }
    }
}
