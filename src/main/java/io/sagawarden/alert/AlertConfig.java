package io.sagawarden.alert;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Where alerts go, and how persistently they are delivered. */
@ConfigMapping(prefix = "saga.alerts")
public interface AlertConfig {

    /** Prometheus Alertmanager base URLs; alerts are POSTed to {@code <url>/api/v2/alerts}. */
    Optional<List<String>> alertmanagerUrls();

    /** Generic webhooks: each receives every alert change as JSON. */
    Optional<List<String>> webhookUrls();

    /** How often pending deliveries are sent. */
    @WithDefault("PT2S")
    Duration deliveryInterval();

    /** Open alerts are sent to Alertmanager again this often, as it expects of a client. */
    @WithDefault("PT1M")
    Duration repeatInterval();

    /** The longest wait between two tries of a delivery that keeps failing. */
    @WithDefault("PT5M")
    Duration maxBackoff();

    @WithDefault("PT5S")
    Duration timeout();

    /** The operator console's address, linked from alerts (generatorURL); empty for none. */
    Optional<String> consoleUrl();
}
