package io.sagawarden.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.config.MeterFilter;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Saga types and step names (also in a participant call's {@code transaction_type}) are chosen by whoever submits,
 * so the series they label are bounded here, whatever clients send: the first {@code max-saga-types} types and {@code max-step-names} step names keep their names,
 * later ones are counted as {@value #OTHER}; types listed in {@code known-saga-types} always keep theirs. A metric
 * with {@code max-series-per-metric} series already counts any new combination under {@value #OTHER} too.
 */
@Singleton
public class BoundedLabels implements MeterFilter {

    public static final String OTHER = "other";
    static final String SAGA_TYPE = "saga_type";
    static final String STEP = "step";
    /** A participant call's step: its name, with {@value #COMPENSATION} for a compensation. */
    static final String TRANSACTION_TYPE = "transaction_type";
    private static final String COMPENSATION = ":compensation";

    private static final Set<String> CLIENT_CHOSEN = Set.of(SAGA_TYPE, STEP, TRANSACTION_TYPE);

    private final Admitted types;
    private final Admitted steps;
    private final int maxSeries;
    private final Map<String, Set<List<Tag>>> seriesByMetric = new ConcurrentHashMap<>();

    public BoundedLabels(MetricsConfig config) {
        this.types = new Admitted(config.maxSagaTypes(), config.knownSagaTypes().orElse(List.of()));
        this.steps = new Admitted(config.maxStepNames(), List.of());
        this.maxSeries = config.maxSeriesPerMetric();
    }

    @Override
    public Meter.Id map(Meter.Id id) {
        if (CLIENT_CHOSEN.stream().allMatch(key -> id.getTag(key) == null)) {
            return id;
        }
        List<Tag> tags = new ArrayList<>();
        for (Tag tag : id.getTagsAsIterable()) {
            tags.add(switch (tag.getKey()) {
                case SAGA_TYPE -> Tag.of(SAGA_TYPE, types.admit(tag.getValue()));
                case STEP -> Tag.of(STEP, steps.admit(tag.getValue()));
                case TRANSACTION_TYPE -> Tag.of(TRANSACTION_TYPE, transactionType(tag.getValue()));
                default -> tag;
            });
        }
        Set<List<Tag>> series = seriesByMetric.computeIfAbsent(id.getName(), name -> ConcurrentHashMap.newKeySet());
        if (!series.contains(tags)) {
            if (series.size() >= maxSeries) {
                tags.replaceAll(t -> CLIENT_CHOSEN.contains(t.getKey()) ? Tag.of(t.getKey(), OTHER) : t);
            }
            series.add(List.copyOf(tags));
        }
        return id.replaceTags(tags);
    }

    private String transactionType(String value) {
        boolean compensation = value.endsWith(COMPENSATION);
        String step = steps.admit(compensation ? value.substring(0, value.length() - COMPENSATION.length()) : value);
        return compensation && !step.equals(OTHER) ? step + COMPENSATION : step;
    }

    /** The values of one label that keep their names: the known ones, then the first {@code max} seen. */
    private static final class Admitted {
        private final int max;
        private final Set<String> known;
        private final Set<String> seen = ConcurrentHashMap.newKeySet();

        Admitted(int max, List<String> known) {
            this.max = max;
            this.known = Set.copyOf(known);
        }

        String admit(String value) {
            if (known.contains(value) || seen.contains(value)) {
                return value;
            }
            synchronized (this) {
                if (seen.size() < max) {
                    seen.add(value);
                    return value;
                }
            }
            return OTHER;
        }
    }
}
