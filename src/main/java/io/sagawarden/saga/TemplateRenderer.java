package io.sagawarden.saga;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;

/** Fills templates in strings and JSON bodies from a lookup; a template that resolves to nothing fails. */
public final class TemplateRenderer {

    /** Raised when a template names a value that is not there. */
    public static final class UnresolvedTemplateException extends RuntimeException {
        public UnresolvedTemplateException(String message) {
            super(message);
        }
    }

    private final List<String> stepNames;
    private final Function<Template, Optional<JsonNode>> lookup;

    public TemplateRenderer(List<String> stepNames, Function<Template, Optional<JsonNode>> lookup) {
        this.stepNames = stepNames;
        this.lookup = lookup;
    }

    /** Looks up the value at {@code path} below {@code root}; missing and JSON null both count as absent. */
    public static Optional<JsonNode> at(JsonNode root, List<String> path) {
        JsonNode node = root;
        for (String segment : path) {
            if (node == null) {
                return Optional.empty();
            }
            node = node.isArray() && segment.chars().allMatch(Character::isDigit)
                    ? node.get(Integer.parseInt(segment))
                    : node.get(segment);
        }
        return node == null || node.isNull() || node.isMissingNode() ? Optional.empty() : Optional.of(node);
    }

    public String renderText(String text) {
        return render(text, 0, text == null ? 0 : text.length(), UnaryOperator.identity());
    }

    /**
     * Renders a URL the way RFC 6570 simple expansion does: a value that lands in the path or the query is
     * percent-encoded except for unreserved characters, so no value can add a segment, a parameter or a fragment,
     * or end the path early. Templates before the path (scheme, host, port: from the payload only, as submission
     * checks) are inserted as they are; the URL that results is what the allow-list checks.
     */
    public String renderUrl(String url) {
        if (url == null) {
            return null;
        }
        // Where the path and the query start, judged on the literal text with every template masked out.
        String literal = Template.marker().matcher(url).replaceAll(m -> "x".repeat(m.group().length()));
        int scheme = literal.indexOf("://");
        int pathStart = firstOf(literal, "/?", scheme < 0 ? 0 : scheme + 3);
        int queryStart = firstOf(literal, "?", pathStart);
        return render(url, 0, pathStart, UnaryOperator.identity())
                + render(url, pathStart, queryStart, UrlEncoding::unreserved)
                + render(url, queryStart, url.length(), UrlEncoding::unreserved);
    }

    private static int firstOf(String text, String chars, int from) {
        for (int i = Math.max(0, from); i < text.length(); i++) {
            if (chars.indexOf(text.charAt(i)) >= 0) {
                return i;
            }
        }
        return text.length();
    }

    /** {@code text[from, to)} with each template replaced by its value as {@code encode} writes it. */
    private String render(String text, int from, int to, UnaryOperator<String> encode) {
        if (text == null) {
            return null;
        }
        Matcher m = Template.marker().matcher(text).region(from, to);
        StringBuilder out = new StringBuilder();
        int last = from;
        while (m.find()) {
            JsonNode value = resolve(m.group(1));
            out.append(text, last, m.start()).append(encode.apply(value.isValueNode() ? value.asText() : value.toString()));
            last = m.end();
        }
        return out.append(text, last, to).toString();
    }

    public Map<String, String> renderHeaders(Map<String, String> headers) {
        if (headers == null) {
            return Map.of();
        }
        java.util.LinkedHashMap<String, String> out = new java.util.LinkedHashMap<>();
        headers.forEach((name, value) -> out.put(name, renderText(value)));
        return out;
    }

    /** Renders a JSON body: a string that is exactly one template keeps the JSON type of what it names. */
    public JsonNode renderJson(JsonNode node) {
        if (node == null) {
            return null;
        }
        if (node.isTextual()) {
            Optional<String> whole = Template.wholeExpression(node.asText());
            return whole.isPresent() ? resolve(whole.get()) : JsonNodeFactory.instance.textNode(renderText(node.asText()));
        }
        if (node.isObject()) {
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            node.properties().forEach(e -> out.set(e.getKey(), renderJson(e.getValue())));
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            node.forEach(element -> out.add(renderJson(element)));
            return out;
        }
        return node;
    }

    private JsonNode resolve(String expression) {
        Template.Parsed parsed = Template.parse(expression, stepNames);
        if (!parsed.ok()) {
            throw new UnresolvedTemplateException("template {{" + expression + "}} " + parsed.problem());
        }
        return lookup.apply(parsed.template()).orElseThrow(() ->
                new UnresolvedTemplateException("template {{" + expression + "}} resolved to nothing"));
    }
}
