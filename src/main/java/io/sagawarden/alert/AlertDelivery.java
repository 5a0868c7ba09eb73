package io.sagawarden.alert;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import io.sagawarden.cluster.Leadership;
import io.sagawarden.db.Json;
import io.sagawarden.db.Sql;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Sends queued alert changes to the sinks: Prometheus Alertmanager (its v2 API) and generic webhooks. Any node
 * may deliver (claims skip locked rows); a failed delivery is retried with backoff, in order per alert and sink,
 * and always carries the alert's current state. The leader also repeats open alerts to Alertmanager, which
 * forgets alerts that are not sent again.
 */
@ApplicationScoped
public class AlertDelivery {

    private static final Logger LOG = Logger.getLogger(AlertDelivery.class);

    private final Sql sql;
    private final AlertQueries queries;
    private final AlertConfig config;
    private final Leadership leadership;
    private final ObjectMapper mapper;
    private final HttpClient http;
    private volatile long lastRepeatNanos = System.nanoTime();

    public AlertDelivery(Sql sql, AlertQueries queries, AlertConfig config, Leadership leadership, Json json) {
        this.sql = sql;
        this.queries = queries;
        this.config = config;
        this.leadership = leadership;
        this.mapper = json.mapper();
        this.http = HttpClient.newBuilder().connectTimeout(config.timeout())
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    private record Pending(long id, UUID alertId, String sink, int attempts) {
    }

    @Scheduled(every = "${saga.alerts.delivery-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void deliver() {
        try {
            if (leadership.isLeader() && System.nanoTime() - lastRepeatNanos > config.repeatInterval().toNanos()) {
                lastRepeatNanos = System.nanoTime();
                repeatOpenAlerts();
            }
            runOnce();
        } catch (RuntimeException e) {
            LOG.warnf("Delivering alerts failed; they stay queued: %s", e.getMessage());
        }
    }

    /** Sends what is due; returns how many deliveries succeeded. */
    public int runOnce() {
        List<Pending> due = QuarkusTransaction.requiringNew().call(() -> sql.query("""
                UPDATE alert_deliveries d SET next_attempt_at = now() + interval '1 minute', attempts = d.attempts + 1
                WHERE d.id IN (SELECT x.id FROM alert_deliveries x
                               WHERE x.delivered_at IS NULL AND x.next_attempt_at <= now()
                                 AND NOT EXISTS (SELECT 1 FROM alert_deliveries y WHERE y.alert_id = x.alert_id
                                                 AND y.sink = x.sink AND y.delivered_at IS NULL AND y.id < x.id)
                               ORDER BY x.id LIMIT 50 FOR UPDATE SKIP LOCKED)
                RETURNING d.id, d.alert_id, d.sink, d.attempts""", rs -> new Pending(rs.getLong(1),
                rs.getObject(2, UUID.class), rs.getString(3), rs.getInt(4))));
        int delivered = 0;
        for (Pending p : due) {
            Optional<AlertView> alert = QuarkusTransaction.requiringNew().call(() -> queries.find(p.alertId()));
            if (alert.isEmpty()) {
                continue;
            }
            String payload = payload(p.sink(), alert.get());
            Optional<String> failure = send(p.sink(), payload);
            if (failure.isEmpty()) {
                delivered++;
                QuarkusTransaction.requiringNew().run(() -> sql.update("""
                        UPDATE alert_deliveries SET delivered_at = now(), last_error = NULL,
                               payload = CASE WHEN id = ? THEN CAST(? AS jsonb) ELSE payload END
                        WHERE alert_id = ? AND sink = ? AND delivered_at IS NULL AND id <= ?""",
                        p.id(), payload, p.alertId(), p.sink(), p.id()));
            } else {
                long backoffMs = Math.min(config.maxBackoff().toMillis(), 1000L << Math.min(20, p.attempts() - 1));
                QuarkusTransaction.requiringNew().run(() -> sql.update("""
                        UPDATE alert_deliveries SET next_attempt_at = now() + ? * interval '1 millisecond', last_error = ?
                        WHERE id = ?""", backoffMs, failure.get(), p.id()));
                LOG.warnf("Alert %s not delivered to %s (attempt %d, next in %d ms): %s", p.alertId(), p.sink(),
                        p.attempts(), backoffMs, failure.get());
            }
        }
        return delivered;
    }

    /** Deletes up to {@code limit} notifications delivered before {@code deliveredBefore}. Returns how many went. */
    public int deleteDeliveredBefore(Instant deliveredBefore, int limit) {
        return sql.update("""
                DELETE FROM alert_deliveries WHERE id IN (SELECT id FROM alert_deliveries
                    WHERE delivered_at < ? ORDER BY delivered_at LIMIT ? FOR UPDATE SKIP LOCKED)""", deliveredBefore, limit);
    }

    /** Open alerts go to Alertmanager again, unless a delivery to it is pending anyway. */
    public void repeatOpenAlerts() {
        List<String> sinks = config.alertmanagerUrls().orElse(List.of()).stream().map(u -> "alertmanager:" + u).toList();
        if (sinks.isEmpty()) {
            return;
        }
        QuarkusTransaction.requiringNew().run(() -> sql.update("""
                INSERT INTO alert_deliveries (alert_id, sink, payload, next_attempt_at)
                SELECT a.id, s.sink, '{}', now() FROM alerts a CROSS JOIN unnest(CAST(? AS text[])) AS s(sink)
                WHERE a.state <> 'RESOLVED' AND NOT EXISTS (SELECT 1 FROM alert_deliveries d
                      WHERE d.alert_id = a.id AND d.sink = s.sink AND d.delivered_at IS NULL)""",
                (Object) sinks.toArray(String[]::new)));
    }

    private String payload(String sink, AlertView alert) {
        try {
            if (sink.startsWith("alertmanager:")) {
                Map<String, String> labels = new LinkedHashMap<>();
                labels.put("alertname", alertName(alert.kind()));
                labels.put("severity", alert.severity());
                labels.put("kind", alert.kind().name());
                labels.put("saga_id", String.valueOf(alert.sagaId()));
                labels.put("saga_type", alert.sagaType() == null ? "" : alert.sagaType());
                Map<String, Object> am = new LinkedHashMap<>();
                am.put("labels", labels);
                am.put("annotations", Map.of("summary", alert.summary(), "description", alert.description()));
                am.put("startsAt", alert.createdAt().toString());
                if (alert.resolvedAt() != null) {
                    am.put("endsAt", alert.resolvedAt().toString());
                }
                config.consoleUrl().ifPresent(url -> am.put("generatorURL", url + "#/sagas/" + alert.sagaId()));
                return mapper.writeValueAsString(List.of(am));
            }
            return mapper.writeValueAsString(alert);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private Optional<String> send(String sink, String payload) {
        String url = sink.startsWith("alertmanager:")
                ? sink.substring("alertmanager:".length()).replaceAll("/+$", "") + "/api/v2/alerts"
                : sink.substring("webhook:".length());
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(config.timeout())
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(payload)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() / 100 == 2 ? Optional.empty()
                    : Optional.of("HTTP " + response.statusCode() + ": " + abbreviate(response.body()));
        } catch (java.io.IOException | IllegalArgumentException e) {
            return Optional.of(e.getClass().getSimpleName() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        }
    }

    static String alertName(AlertKind kind) {
        StringBuilder name = new StringBuilder("Saga");
        for (String part : kind.name().split("_")) {
            name.append(part.charAt(0)).append(part.substring(1).toLowerCase());
        }
        return name.toString();
    }

    private static String abbreviate(String text) {
        return text == null ? "" : text.length() > 200 ? text.substring(0, 200) + "…" : text;
    }
}
