package io.sagawarden.participant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Set;

/**
 * The secret values one call carries. Whatever comes back from the call (an error text, a reply that echoes a
 * header) is kept with each of them replaced by {@value #MASK}, so a secret never reaches the database or the API.
 */
public record SecretValues(Set<String> values) {

    public static final SecretValues NONE = new SecretValues(Set.of());
    public static final String MASK = "[secret]";

    public SecretValues {
        values = Set.copyOf(values);
    }

    public String redact(String text) {
        if (text == null || values.isEmpty()) {
            return text;
        }
        String out = text;
        for (String secret : values) {
            out = out.replace(secret, MASK);
        }
        return out;
    }

    public JsonNode redact(JsonNode node) {
        if (node == null || values.isEmpty()) {
            return node;
        }
        if (node.isTextual()) {
            return JsonNodeFactory.instance.textNode(redact(node.asText()));
        }
        if (node.isObject()) {
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            node.properties().forEach(e -> out.set(redact(e.getKey()), redact(e.getValue())));
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            node.forEach(element -> out.add(redact(element)));
            return out;
        }
        return node;
    }

    /** Never the values themselves. */
    @Override
    public String toString() {
        return values.size() + " secret value(s)";
    }
}
