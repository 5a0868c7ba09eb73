package io.sagawarden.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sagawarden.testing.AppProcess;
import io.sagawarden.testing.Db;
import io.sagawarden.testing.Eventually;
import io.sagawarden.testing.PostgresTestDatabase;
import io.sagawarden.testing.TestParticipant;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Every panel of the Grafana dashboard and every alert rule in deploy/ is proven against a real Prometheus that
 * scrapes the real service (the packaged app on a throwaway database) while a mixed workload runs.
 *
 * <p>Panels: each target's expression, with Grafana's variables substituted, must evaluate without error or
 * warning and return at least one sample that is a number (NaN everywhere means the panel shows no data).
 *
 * <p>Rules: an alert that is not firing legitimately evaluates to nothing, so a rule's whole expression is only
 * required to evaluate without error. Its threshold-free parts are then checked one by one: every operand of its
 * top-level comparisons and and/or/unless (e.g. {@code max(sagas_stuck)} of {@code max(sagas_stuck) > 0}) must
 * return samples, except plain numbers and {@code absent(...)}, which is empty by design while all is well. And
 * every metric name a rule reads must have at least one series. Finally /api/v1/rules must list every rule of the
 * file, each evaluated by Prometheus's rule engine with health "ok".
 *
 * <p>Without the prometheus binary (Debian package prometheus) the test is skipped, loudly; with CI=true it fails.
 */
class PrometheusVerificationIT {

    private static final Path DASHBOARD = Path.of("deploy", "grafana", "dashboards", "saga-warden.json");
    private static final Path RULES = Path.of("deploy", "prometheus", "saga-warden-rules.yml");
    private static final String DATASOURCE_VARIABLE = "${DS_PROMETHEUS}";
    /** What Grafana would put in for its variables; the windows cover both workload waves. */
    private static final Map<String, String> VARIABLES = Map.of("saga_type", ".*", "__rate_interval", "2m",
            "__interval", "1m", "__range", "10m");
    private static final Pattern LABEL_VALUES = Pattern.compile("^label_values\\((.+),\\s*([a-zA-Z_]\\w*)\\s*\\)$");
    private static final Map<String, String> SETTINGS = Map.ofEntries(
            Map.entry("saga.deadlock.interval", "PT2S"),
            Map.entry("saga.recovery.stuck-after", "PT2S"),
            Map.entry("saga.recovery.interval", "PT1S"),
            Map.entry("saga.metrics.gauge-refresh", "1s"),
            Map.entry("saga.cluster.leader-lease", "PT3S"),
            Map.entry("saga.cluster.heartbeat", "PT1S"),
            Map.entry("saga.execution.poll-interval", "PT0.5S"),
            Map.entry("saga.execution.action-retry.initial-backoff", "PT0.05S"),
            Map.entry("saga.execution.compensation-retry.initial-backoff", "PT0.05S"),
            Map.entry("saga.execution.compensation-retry.max-backoff", "PT0.2S"));
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    void every_dashboard_panel_and_alert_rule_evaluates_on_a_real_prometheus_scraping_the_service() throws IOException {
        Path binary = prometheusOrSkip();
        JsonNode dashboard = MAPPER.readTree(DASHBOARD.toFile());
        String database = PostgresTestDatabase.create();
        Db db = new Db(database);
        try (TestParticipant participant = TestParticipant.start();
             AppProcess app = AppProcess.start("metrics-node", database, SETTINGS);
             PrometheusServer prometheus = PrometheusServer.start(binary, app.managementUrl().replace("http://", ""), RULES)) {
            Eventually.await("Prometheus to scrape the service", Duration.ofSeconds(30),
                    () -> prometheus.value("up{job=\"" + PrometheusServer.JOB + "\"}"), v -> v == 1.0);

            MixedWorkload workload = new MixedWorkload(participant, app, db);
            workload.startStuckSaga();
            for (int wave = 1; wave <= 2; wave++) {
                workload.runWave(wave);
                awaitScraped(prometheus, wave);
            }
            Eventually.await("several scrapes", Duration.ofSeconds(30),
                    () -> prometheus.value("count_over_time(up{job=\"" + PrometheusServer.JOB + "\"}[10m])"),
                    n -> n >= 10);
            int ruleCount = rulesInFile();
            Eventually.await("every rule evaluated", Duration.ofSeconds(30), () -> rules(prometheus),
                    rules -> rules.size() == ruleCount && rules.stream().noneMatch(r -> r.path("health").asText().equals("unknown")));

            List<String> problems = new ArrayList<>();
            problems.addAll(checkDashboard(dashboard, prometheus));
            problems.addAll(checkRules(prometheus, ruleCount));
            problems.addAll(checkWorkloadWasSeen(prometheus));
            assertThat(problems).as("dashboard and rule problems (Prometheus log: %s)", prometheus.log()).isEmpty();
        } finally {
            PostgresTestDatabase.drop(database);
        }
    }

    private static List<String> checkDashboard(JsonNode dashboard, PrometheusServer prometheus) {
        List<String> problems = new ArrayList<>();
        JsonNode variables = dashboard.path("templating").path("list");
        boolean datasourceVariable = false;
        for (JsonNode variable : variables) {
            if (variable.path("type").asText().equals("datasource")) {
                datasourceVariable |= variable.path("name").asText().equals("DS_PROMETHEUS")
                        && variable.path("query").asText().equals("prometheus");
            } else if (variable.path("type").asText().equals("query")) {
                String query = variable.path("query").isObject() ? variable.path("query").path("query").asText()
                        : variable.path("query").asText();
                problems.addAll(checkVariable(variable.path("name").asText(), query, prometheus));
            }
        }
        if (!datasourceVariable) {
            problems.add("dashboard: no datasource variable DS_PROMETHEUS of type prometheus");
        }
        int targets = 0;
        for (JsonNode panel : panels(dashboard.path("panels"))) {
            String title = panel.path("title").asText();
            if (!panel.path("datasource").path("uid").asText().equals(DATASOURCE_VARIABLE)) {
                problems.add("panel '" + title + "': datasource is not " + DATASOURCE_VARIABLE);
            }
            for (JsonNode target : panel.path("targets")) {
                targets++;
                String expr = PromQl.substitute(target.path("expr").asText(), VARIABLES);
                String where = "panel '" + title + "' target " + target.path("refId").asText();
                problems.addAll(checkPanelExpression(where, expr, prometheus));
            }
        }
        if (targets == 0) {
            problems.add("dashboard: no panel targets found in " + DASHBOARD);
        }
        System.out.printf("PrometheusVerificationIT: checked %d panel targets of %s%n", targets, DASHBOARD);
        return problems;
    }

    private static List<String> checkVariable(String name, String query, PrometheusServer prometheus) {
        Matcher labelValues = LABEL_VALUES.matcher(query.strip());
        if (!labelValues.matches()) {
            return checkPanelExpression("variable " + name, PromQl.substitute(query, VARIABLES), prometheus);
        }
        JsonNode answer = prometheus.labelValues(labelValues.group(2), labelValues.group(1).strip());
        System.out.printf("  variable %s = %s -> %s%n", name, query, answer.path("data"));
        if (!"success".equals(answer.path("status").asText())) {
            return List.of("variable " + name + " (" + query + "): " + answer.path("error").asText());
        }
        return answer.path("data").isEmpty() ? List.of("variable " + name + " (" + query + "): no values") : List.of();
    }

    private static List<String> checkPanelExpression(String where, String expr, PrometheusServer prometheus) {
        List<String> problems = new ArrayList<>(evaluates(where, expr, prometheus));
        if (!problems.isEmpty()) {
            return problems;
        }
        List<JsonNode> samples = prometheus.samples(expr);
        long numbers = samples.stream().map(s -> s.path("value").path(1).asText())
                .filter(v -> !v.equals("NaN")).count();
        System.out.printf("  %-60s %d series, %d numeric: %s%n", where, samples.size(), numbers, expr);
        if (samples.isEmpty()) {
            problems.add(where + ": empty result for " + expr + missingSeries(expr, prometheus));
        } else if (numbers == 0) {
            problems.add(where + ": only NaN (no data in the window) for " + expr);
        }
        return problems;
    }

    private static List<String> checkRules(PrometheusServer prometheus, int ruleCount) {
        List<String> problems = new ArrayList<>();
        JsonNode groups = prometheus.ruleGroups();
        if (groups.isEmpty()) {
            problems.add("/api/v1/rules: no rule group loaded from " + RULES);
        }
        List<JsonNode> rules = rules(prometheus);
        if (rules.size() != ruleCount) {
            problems.add("/api/v1/rules lists " + rules.size() + " rules, " + RULES + " has " + ruleCount);
        }
        for (JsonNode rule : rules) {
            String where = "rule " + rule.path("name").asText();
            String expr = rule.path("query").asText();
            if (!rule.path("health").asText().equals("ok") || !rule.path("lastError").asText("").isEmpty()) {
                problems.add(where + ": health " + rule.path("health").asText() + " " + rule.path("lastError").asText(""));
            }
            problems.addAll(evaluates(where, expr, prometheus));
            for (String operand : PromQl.operands(expr)) {
                if (PromQl.isNumber(operand) || operand.startsWith("absent")) {
                    continue;
                }
                List<String> operandProblems = evaluates(where + " operand", operand, prometheus);
                int samples = prometheus.samples(operand).size();
                System.out.printf("  %-60s %d series: %s%n", where + " operand", samples, operand);
                if (operandProblems.isEmpty() && samples == 0) {
                    operandProblems = List.of(where + ": operand " + operand + " is empty" + missingSeries(operand, prometheus));
                }
                problems.addAll(operandProblems);
            }
        }
        System.out.printf("PrometheusVerificationIT: checked %d rules in %d groups%n", rules.size(), groups.size());
        return problems;
    }

    /** The workload really reached Prometheus: a stuck saga, deadlocks, lock waits and both outcomes. */
    private static List<String> checkWorkloadWasSeen(PrometheusServer prometheus) {
        List<String> problems = new ArrayList<>();
        Map<String, Double> atLeast = Map.of(
                "max(max_over_time(sagas_stuck[10m]))", 1.0,
                "sum(deadlocks_detected_total{resolution_method=\"abort_saga\"})", 2.0,
                "sum(saga_compensations_total{reason=\"DEADLOCK_VICTIM\"})", 2.0,
                "sum(saga_compensations_total{reason=\"STEP_FAILED\"})", 2.0,
                "sum(lock_wait_duration_seconds_count)", 2.0,
                "sum(distributed_transaction_duration_seconds_count{status=\"error\"})", 2.0);
        atLeast.forEach((query, minimum) -> {
            double value = prometheus.value(query);
            if (!(value >= minimum)) {
                problems.add("workload not seen: " + query + " = " + value + ", expected at least " + minimum);
            }
        });
        return problems;
    }

    private static List<String> evaluates(String where, String expr, PrometheusServer prometheus) {
        JsonNode answer = prometheus.query(expr);
        if (!"success".equals(answer.path("status").asText())) {
            return List.of(where + ": " + answer.path("errorType").asText() + ": " + answer.path("error").asText()
                    + " in " + expr);
        }
        if (answer.has("warnings") && !answer.path("warnings").isEmpty()) {
            return List.of(where + ": warnings " + answer.path("warnings") + " for " + expr);
        }
        return List.of();
    }

    private static String missingSeries(String expr, PrometheusServer prometheus) {
        List<String> missing = PromQl.metricNames(expr).stream()
                .filter(name -> prometheus.samples("count({__name__=\"" + name + "\"})").isEmpty()).toList();
        return missing.isEmpty() ? "" : " (no series of " + String.join(", ", missing) + ")";
    }

    private static void awaitScraped(PrometheusServer prometheus, int wave) {
        Eventually.await("Prometheus to scrape wave " + wave, Duration.ofSeconds(30),
                () -> List.of(prometheus.value("sum(sagas_completed_total)"), prometheus.value("sum(sagas_failed_total)")),
                v -> v.get(0) >= wave * MixedWorkload.COMPLETED_PER_WAVE && v.get(1) >= wave * MixedWorkload.FAILED_PER_WAVE);
        // A few more scrapes, so that the next wave's increments land on series Prometheus already knows.
        double scrapes = prometheus.value("count_over_time(up{job=\"" + PrometheusServer.JOB + "\"}[10m])");
        Eventually.await("three more scrapes", Duration.ofSeconds(30),
                () -> prometheus.value("count_over_time(up{job=\"" + PrometheusServer.JOB + "\"}[10m])"),
                n -> n >= scrapes + 3);
    }

    private static List<JsonNode> rules(PrometheusServer prometheus) {
        List<JsonNode> rules = new ArrayList<>();
        prometheus.ruleGroups().forEach(group -> group.path("rules").forEach(rules::add));
        return rules;
    }

    private static int rulesInFile() throws IOException {
        return (int) Files.readAllLines(RULES).stream().filter(l -> l.matches("^\\s*-\\s*(alert|record):.*")).count();
    }

    /** Every panel, including those nested in collapsed rows; rows themselves have no query. */
    private static List<JsonNode> panels(JsonNode list) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode panel : list) {
            if (panel.path("type").asText().equals("row")) {
                out.addAll(panels(panel.path("panels")));
            } else {
                out.add(panel);
            }
        }
        return out;
    }

    private static Path prometheusOrSkip() {
        Optional<Path> binary = PrometheusServer.binary();
        if (binary.isEmpty()) {
            String message = "PrometheusVerificationIT needs the prometheus binary (Debian package prometheus, "
                    + "installed by .ci/run; or set PROMETHEUS_BIN)";
            if ("true".equals(System.getenv("CI"))) {
                fail(message + ": CI=true, so this fails instead of skipping");
            }
            System.err.println("!!! SKIPPED: " + message);
            Assumptions.abort(message);
        }
        return binary.get();
    }
}
