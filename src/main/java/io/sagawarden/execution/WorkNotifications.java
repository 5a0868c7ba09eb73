package io.sagawarden.execution;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.sagawarden.db.Sql;
import io.sagawarden.saga.SagaSubmitted;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Wakes the dispatchers of all nodes when work appears: new work sends a PostgreSQL NOTIFY inside its own
 * transaction (delivered only if it commits), and every node LISTENs on a connection of its own.
 */
@ApplicationScoped
public class WorkNotifications {

    static final String CHANNEL = "saga_work";
    private static final Logger LOG = Logger.getLogger(WorkNotifications.class);

    private final Sql sql;
    private final Dispatcher dispatcher;
    private final NodeIdentity node;
    private final ExecutionConfig config;
    private final String url;
    private final String user;
    private final String password;
    private volatile boolean running;
    private Thread listener;

    public WorkNotifications(Sql sql, Dispatcher dispatcher, NodeIdentity node, ExecutionConfig config,
                             @ConfigProperty(name = "quarkus.datasource.jdbc.url") String url,
                             @ConfigProperty(name = "quarkus.datasource.username") String user,
                             @ConfigProperty(name = "quarkus.datasource.password") String password) {
        this.sql = sql;
        this.dispatcher = dispatcher;
        this.node = node;
        this.config = config;
        this.url = url;
        this.user = user;
        this.password = password;
    }

    /** Tells every node that work is due; part of the caller's transaction. */
    public void announce() {
        sql.query("SELECT pg_notify('" + CHANNEL + "', '')", rs -> true);
    }

    /** A submission wakes this node's dispatcher directly once it commits; only the others need telling. */
    void onSubmitted(@Observes SagaSubmitted submitted) {
        sql.query("SELECT pg_notify('" + CHANNEL + "', ?)", rs -> true, node.id());
    }

    void start(@Observes StartupEvent event) {
        if (!config.enabled()) {
            return;
        }
        running = true;
        listener = Thread.ofPlatform().name("saga-work-listener").daemon().start(this::listen);
    }

    void stop(@Observes ShutdownEvent event) {
        running = false;
        if (listener != null) {
            listener.interrupt();
        }
    }

    private void listen() {
        while (running) {
            try (Connection connection = DriverManager.getConnection(url, user, password)) {
                try (Statement s = connection.createStatement()) {
                    s.execute("LISTEN " + CHANNEL);
                }
                PGConnection pg = connection.unwrap(PGConnection.class);
                while (running) {
                    PGNotification[] notifications = pg.getNotifications(1000);
                    if (notifications != null && Arrays.stream(notifications).anyMatch(n -> !node.id().equals(n.getParameter()))) {
                        dispatcher.wake();
                    }
                }
            } catch (SQLException e) {
                if (running) {
                    LOG.warnf("Listening for work failed, reconnecting in 1s (polling continues): %s", e.getMessage());
                    sleepQuietly();
                }
            }
        }
    }

    private void sleepQuietly() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }
}
