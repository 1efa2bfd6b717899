package io.hypernetes.api.validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Lenient reads from an object tree. Shape (types of fields) is the schema's job; validation reads what is
 * there and treats a missing or null field as absent.
 */
final class Tree {
    private Tree() {}

    static boolean has(JsonNode parent, String field) {
        JsonNode n = parent == null ? null : parent.get(field);
        return n != null && !n.isNull();
    }

    /** The field as text, "" when absent. */
    static String text(JsonNode parent, String field) {
        JsonNode n = parent == null ? null : parent.get(field);
        return n == null || n.isNull() || n.isContainerNode() ? "" : n.asText();
    }

    static JsonNode node(JsonNode parent, String field) {
        JsonNode n = parent == null ? null : parent.get(field);
        return n == null || n.isNull() ? null : n;
    }

    static List<JsonNode> items(JsonNode parent, String field) {
        JsonNode n = node(parent, field);
        List<JsonNode> out = new ArrayList<>();
        if (n != null && n.isArray()) n.forEach(out::add);
        return out;
    }

    static List<Map.Entry<String, JsonNode>> entries(JsonNode parent, String field) {
        JsonNode n = node(parent, field);
        List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
        if (n != null && n.isObject()) out.addAll(n.properties());
        return out;
    }

    static boolean isTrue(JsonNode parent, String field) {
        JsonNode n = node(parent, field);
        return n != null && n.asBoolean(false);
    }

    /** An integer field, or null when absent or not an integer. */
    static Long integer(JsonNode parent, String field) {
        JsonNode n = node(parent, field);
        return n != null && n.canConvertToExactIntegral() && n.canConvertToLong() ? n.asLong() : null;
    }

    /** The object at {@code field}, created when absent; for defaulting. */
    static ObjectNode object(ObjectNode parent, String field) {
        JsonNode n = parent.get(field);
        if (n instanceof ObjectNode o) return o;
        return parent.putObject(field);
    }
}
