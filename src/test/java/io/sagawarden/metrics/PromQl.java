package io.sagawarden.metrics;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Just enough PromQL text handling to check dashboards and alert rules against a real Prometheus: Grafana's
 * template variables, the operands of an alert's comparisons, and the metric names an expression reads.
 * Prometheus itself stays the judge of whether an expression is valid; this only decides what to ask it.
 */
final class PromQl {

    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "by", "without", "on", "ignoring",
            "group_left", "group_right", "offset", "bool", "inf", "nan", "atan2");
    private static final Pattern LABEL_LIST = Pattern.compile(
            "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern NUMBER = Pattern.compile("[-+]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][-+]?\\d+)?");
    private static final Pattern MODIFIER = Pattern.compile(
            "^((bool\\b|(on|ignoring|group_left|group_right)\\s*(\\([^)]*\\))?)\\s*)+");

    private PromQl() {
    }

    /** Replaces Grafana's variables ({@code $name}, {@code ${name}}, {@code [[name]]}), longest names first. */
    static String substitute(String expr, Map<String, String> variables) {
        String out = expr;
        List<String> names = variables.keySet().stream().sorted(Comparator.comparingInt(String::length).reversed())
                .toList();
        for (String name : names) {
            String value = variables.get(name);
            out = out.replace("${" + name + "}", value).replace("[[" + name + "]]", value)
                    .replaceAll("\\$" + Pattern.quote(name) + "(?![a-zA-Z0-9_])", Matcher.quoteReplacement(value));
        }
        return out;
    }

    /**
     * The operands of an expression's top-level {@code and}/{@code or}/{@code unless} and comparison operators:
     * for {@code max(x) > 0 and sum(rate(y[5m])) * 60 >= 20} that is {@code max(x)}, {@code 0},
     * {@code sum(rate(y[5m])) * 60} and {@code 20}. Comparison modifiers ({@code bool}, {@code on(...)}, ...)
     * are dropped from the operand they precede.
     */
    static List<String> operands(String expr) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        int start = 0;
        char quote = 0;
        for (int i = 0; i < expr.length(); i++) {
            char c = expr.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
                continue;
            }
            switch (c) {
                case '"', '\'', '`' -> quote = c;
                case '(', '{', '[' -> depth++;
                case ')', '}', ']' -> depth--;
                default -> {
                    if (depth != 0) {
                        continue;
                    }
                    int length = operatorLength(expr, i);
                    if (length > 0) {
                        parts.add(expr.substring(start, i));
                        i += length - 1;
                        start = i + 1;
                    }
                }
            }
        }
        parts.add(expr.substring(start));
        return parts.stream().map(String::strip).map(p -> MODIFIER.matcher(p).replaceFirst("").strip())
                .filter(p -> !p.isEmpty()).toList();
    }

    /** True for an operand that is a plain number: a threshold, nothing to look up. */
    static boolean isNumber(String operand) {
        return NUMBER.matcher(operand.strip()).matches();
    }

    /** The metric names an expression selects (not functions, keywords, labels or durations). */
    static Set<String> metricNames(String expr) {
        String text = expr.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"").replaceAll("'(\\\\.|[^'\\\\])*'", "''");
        text = text.replaceAll("\\{[^}]*}", " ").replaceAll("\\[[^]]*]", " ");
        text = LABEL_LIST.matcher(text).replaceAll(" ");
        Set<String> names = new LinkedHashSet<>();
        Matcher m = IDENTIFIER.matcher(text);
        while (m.find()) {
            String name = m.group();
            boolean partOfNumber = m.start() > 0 && (Character.isDigit(text.charAt(m.start() - 1))
                    || text.charAt(m.start() - 1) == '.');
            boolean function = text.substring(m.end()).stripLeading().startsWith("(");
            if (!partOfNumber && !function && !KEYWORDS.contains(name.toLowerCase())) {
                names.add(name);
            }
        }
        return names;
    }

    private static int operatorLength(String expr, int i) {
        for (String op : List.of(">=", "<=", "==", "!=")) {
            if (expr.startsWith(op, i)) {
                return 2;
            }
        }
        char c = expr.charAt(i);
        if (c == '>' || c == '<') {
            return 1;
        }
        for (String word : List.of("and", "or", "unless")) {
            if (expr.startsWith(word, i) && boundary(expr, i - 1) && boundary(expr, i + word.length())) {
                return word.length();
            }
        }
        return 0;
    }

    private static boolean boundary(String expr, int i) {
        return i < 0 || i >= expr.length() || !(Character.isLetterOrDigit(expr.charAt(i)) || expr.charAt(i) == '_'
                || expr.charAt(i) == ':');
    }
}
