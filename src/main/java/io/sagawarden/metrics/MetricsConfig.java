package io.sagawarden.metrics;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** How the cluster-wide gauges are kept. */
@ConfigMapping(prefix = "saga.metrics")
public interface MetricsConfig {

    /** How often the gauges are read from PostgreSQL. */
    @WithDefault("PT5S")
    Duration gaugeRefresh();
}
