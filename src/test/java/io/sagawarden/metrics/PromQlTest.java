package io.sagawarden.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The PromQL text handling that PrometheusVerificationIT relies on to decide what to ask Prometheus. */
class PromQlTest {

    @Test
    void grafana_variables_are_replaced_in_all_their_spellings_and_longer_names_win() {
        String expr = "rate(x{t=~\"$saga_type\", u=~\"${saga_type}\", v=~\"[[saga_type]]\"}[$__rate_interval])"
                + " + increase(y[$__range]) + z[$__interval]";

        String out = PromQl.substitute(expr, Map.of("saga_type", ".*", "__rate_interval", "2m",
                "__interval", "1m", "__range", "10m"));

        assertThat(out).isEqualTo("rate(x{t=~\".*\", u=~\".*\", v=~\".*\"}[2m]) + increase(y[10m]) + z[1m]");
    }

    @Test
    void operands_split_at_top_level_comparisons_and_set_operators_only() {
        String expr = """
                sum(rate(a_total[10m])) / (sum(rate(a_total[10m])) + (sum(rate(b_total[10m])) or vector(0))) < 0.9
                and
                (sum(rate(a_total[10m])) + sum(rate(b_total{status!="x"}[10m]))) * 600 >= 20""";

        assertThat(PromQl.operands(expr)).containsExactly(
                "sum(rate(a_total[10m])) / (sum(rate(a_total[10m])) + (sum(rate(b_total[10m])) or vector(0)))",
                "0.9",
                "(sum(rate(a_total[10m])) + sum(rate(b_total{status!=\"x\"}[10m]))) * 600",
                "20");
    }

    @Test
    void comparison_modifiers_are_dropped_from_the_operand() {
        assertThat(PromQl.operands("a > bool 1")).containsExactly("a", "1");
        assertThat(PromQl.operands("a > on(job) group_left(instance) b")).containsExactly("a", "b");
        assertThat(PromQl.operands("max(sagas_stuck) > 0")).containsExactly("max(sagas_stuck)", "0");
        assertThat(PromQl.operands("up{job=\"a>b\"} == 0")).containsExactly("up{job=\"a>b\"}", "0");
    }

    @Test
    void numbers_are_told_from_expressions() {
        assertThat(PromQl.isNumber("0.9")).isTrue();
        assertThat(PromQl.isNumber("20")).isTrue();
        assertThat(PromQl.isNumber("1e3")).isTrue();
        assertThat(PromQl.isNumber("3 * sum(x)")).isFalse();
        assertThat(PromQl.isNumber("vector(0)")).isFalse();
    }

    @Test
    void metric_names_exclude_functions_keywords_label_lists_and_durations() {
        String expr = "histogram_quantile(0.95, sum by (le, saga_type) (rate(saga_execution_duration_seconds_bucket"
                + "{saga_type=~\".*\"}[5m] offset 1m))) > 30 or sum(rate(c_sum[1h])) / on(job) group_left(x) "
                + "sum(rate(c_count[1h])) unless label_replace(up, \"dst\", \"$1\", \"src\", \"(.*)\") and vector(1e3)";

        assertThat(PromQl.metricNames(expr)).containsExactly("saga_execution_duration_seconds_bucket", "c_sum",
                "c_count", "up");
    }
}
