package io.sagawarden.db;

import io.agroal.api.AgroalDataSource;
import io.agroal.api.configuration.AgroalConnectionFactoryConfiguration;
import io.agroal.api.security.AgroalDefaultSecurityProvider;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.jboss.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Listens for PostgreSQL notifications on a connection of its own (not the pool's) and hands each to the
 * handler of its channel. Reconnects after a failure; whoever relies on it also polls, so a lost
 * notification only delays work, never loses it.
 */
@ApplicationScoped
public class PgListener {

    private static final Logger LOG = Logger.getLogger(PgListener.class);

    private final Map<String, Consumer<String>> handlers = new ConcurrentHashMap<>();
    private final String url;
    private final Properties connection = new Properties();
    private volatile boolean running;
    private volatile Thread thread;

    /** Connects as the datasource does (its URL, properties and credentials), outside its pool. */
    public PgListener(AgroalDataSource dataSource) {
        AgroalConnectionFactoryConfiguration factory = dataSource.getConfiguration().connectionPoolConfiguration()
                .connectionFactoryConfiguration();
        this.url = factory.jdbcUrl();
        connection.putAll(factory.jdbcProperties());
        AgroalDefaultSecurityProvider security = new AgroalDefaultSecurityProvider();
        if (factory.principal() != null) {
            connection.putAll(security.getSecurityProperties(factory.principal()));
        }
        factory.credentials().forEach(c -> connection.putAll(security.getSecurityProperties(c)));
    }

    /** Calls {@code handler} with the payload of every notification on {@code channel}; starts listening. */
    public synchronized void listen(String channel, Consumer<String> handler) {
        handlers.put(channel, handler);
        if (thread == null) {
            running = true;
            thread = Thread.ofPlatform().name("pg-listener").daemon().start(this::loop);
        } else {
            thread.interrupt(); // reconnect so the new channel is listened to as well
        }
    }

    void stop(@Observes ShutdownEvent event) {
        running = false;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
    }

    private void loop() {
        while (running) {
            try (Connection connection = DriverManager.getConnection(url, this.connection)) {
                try (Statement s = connection.createStatement()) {
                    for (String channel : handlers.keySet()) {
                        s.execute("LISTEN " + channel);
                    }
                }
                PGConnection pg = connection.unwrap(PGConnection.class);
                while (running && !Thread.interrupted()) {
                    PGNotification[] notifications = pg.getNotifications(1000);
                    if (notifications != null) {
                        for (PGNotification n : notifications) {
                            Consumer<String> handler = handlers.get(n.getName());
                            if (handler != null) {
                                handler.accept(n.getParameter());
                            }
                        }
                    }
                }
            } catch (SQLException e) {
                if (running) {
                    LOG.warnf("Listening for notifications failed, reconnecting in 1s: %s", e.getMessage());
                    sleepQuietly();
                }
            } catch (RuntimeException e) {
                LOG.errorf(e, "A notification handler failed");
            }
        }
    }

    private void sleepQuietly() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
