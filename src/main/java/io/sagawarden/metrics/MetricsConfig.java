package io.sagawarden.metrics;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Min;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** How the cluster-wide gauges are kept, and how many series client-chosen labels may have. */
@ConfigMapping(prefix = "saga.metrics")
public interface MetricsConfig {

    /** How often the gauges are read from PostgreSQL. */
    @WithDefault("PT5S")
    Duration gaugeRefresh();

    /** Distinct saga types labelled by name; later ones are "other" (see {@link BoundedLabels}). */
    @WithDefault("50")
    @Min(1)
    int maxSagaTypes();

    /**
     * Distinct step names labelled by name; later ones are "other". Each costs two call-latency histograms (about
     * 34 lines of /q/metrics), so raise it with care.
     */
    @WithDefault("30")
    @Min(1)
    int maxStepNames();

    /** Series one metric may have with client-chosen labels before new combinations are "other". */
    @WithDefault("500")
    @Min(1)
    int maxSeriesPerMetric();

    /** Saga types that always keep their name in metrics, whatever the caps. */
    Optional<List<String>> knownSagaTypes();
}
