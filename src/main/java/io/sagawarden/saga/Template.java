package io.sagawarden.saga;

import io.sagawarden.participant.ParticipantSecrets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code {{payload.<path>}}}, {@code {{steps.<name>.response.<path>}}} or {@code {{secrets.<name>}}} reference
 * inside a string.
 * Plain Java: validation at submission and rendering at call time share this one parser.
 */
public record Template(String expression, Source source, String stepName, List<String> path) {

    public enum Source { PAYLOAD, STEP_RESPONSE, SECRET }

    /** The configured secret a {@link Source#SECRET} template names. */
    public String secretName() {
        return source == Source.SECRET ? path.getFirst() : null;
    }

    private static final Pattern MARKER = Pattern.compile("\\{\\{\\s*([^{}]*?)\\s*}}");
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_$-]+");

    /** Every template in {@code text}, in order, each parsed or reported as unparseable. */
    public static List<Parsed> findAll(String text, List<String> stepNames) {
        List<Parsed> found = new ArrayList<>();
        if (text == null) {
            return found;
        }
        Matcher m = MARKER.matcher(text);
        while (m.find()) {
            found.add(parse(m.group(1), stepNames));
        }
        return found;
    }

    /** The single template that makes up the whole of {@code text}, if it is one. */
    public static Optional<String> wholeExpression(String text) {
        Matcher m = MARKER.matcher(text);
        return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
    }

    public static Pattern marker() {
        return MARKER;
    }

    /** Either a template or the reason the expression is not one. */
    public record Parsed(String expression, Template template, String problem, boolean unknownStep) {
        public boolean ok() {
            return template != null;
        }
    }

    public static Parsed parse(String expression, List<String> stepNames) {
        if (expression.equals("payload")) {
            return ok(expression, new Template(expression, Source.PAYLOAD, null, List.of()));
        }
        if (expression.startsWith("payload.")) {
            return segments(expression, expression.substring("payload.".length()))
                    .map(p -> ok(expression, new Template(expression, Source.PAYLOAD, null, p)))
                    .orElseGet(() -> bad(expression, "has an invalid path"));
        }
        if (expression.startsWith("steps.")) {
            String rest = expression.substring("steps.".length());
            // Step names may contain dots, so match against the declared names, longest first.
            String best = null;
            for (String name : stepNames) {
                String head = name + ".response";
                if ((rest.equals(head) || rest.startsWith(head + "."))
                        && (best == null || name.length() > best.length())) {
                    best = name;
                }
            }
            if (best == null) {
                return new Parsed(expression, null,
                        "names an unknown step (expected steps.<step name>.response[.<path>])", true);
            }
            String stepName = best;
            String tail = rest.substring((stepName + ".response").length());
            if (tail.isEmpty()) {
                return ok(expression, new Template(expression, Source.STEP_RESPONSE, stepName, List.of()));
            }
            return segments(expression, tail.substring(1))
                    .map(p -> ok(expression, new Template(expression, Source.STEP_RESPONSE, stepName, p)))
                    .orElseGet(() -> bad(expression, "has an invalid path"));
        }
        if (expression.startsWith("secrets.")) {
            String name = expression.substring("secrets.".length());
            return ParticipantSecrets.NAME.matcher(name).matches()
                    ? ok(expression, new Template(expression, Source.SECRET, null, List.of(name)))
                    : bad(expression, "names a secret badly (expected secrets.<name>: lower case, digits and dashes)");
        }
        return bad(expression, "must start with payload, steps.<step name>.response or secrets.<name>");
    }

    private static Optional<List<String>> segments(String expression, String dotted) {
        String[] parts = dotted.split("\\.", -1);
        for (String part : parts) {
            if (!SEGMENT.matcher(part).matches()) {
                return Optional.empty();
            }
        }
        return Optional.of(List.of(parts));
    }

    private static Parsed ok(String expression, Template template) {
        return new Parsed(expression, template, null, false);
    }

    private static Parsed bad(String expression, String problem) {
        return new Parsed(expression, null, problem, false);
    }
}
