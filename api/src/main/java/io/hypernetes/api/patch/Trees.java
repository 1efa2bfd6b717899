package io.hypernetes.api.patch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import io.hypernetes.api.json.Json;
import java.io.IOException;
import java.util.Iterator;
import java.util.Map;

/** Tree operations the three patch engines share. */
final class Trees {
    private Trees() {}

    /** Parses a request body; anything that is not one JSON value is the client's fault. */
    static JsonNode parse(byte[] body) {
        if (body == null) throw PatchException.badRequest("", "the patch body is empty");
        JsonNode tree;
        try {
            tree = Json.parse(body);
        } catch (IOException e) {
            throw PatchException.badRequest("", "the patch is not valid JSON: " + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
        if (tree == null || tree.isMissingNode()) throw PatchException.badRequest("", "the patch body is empty");
        return tree;
    }

    /**
     * JSON equality as RFC 6902 defines it for "test": numbers compare by value (so 1, 1.0 and 1e0 are
     * equal), objects ignore member order, arrays do not.
     */
    static boolean equal(JsonNode a, JsonNode b) {
        if (a == null || a.isMissingNode()) a = Json.NODES.nullNode();
        if (b == null || b.isMissingNode()) b = Json.NODES.nullNode();
        if (a.isNumber() && b.isNumber()) return a.decimalValue().compareTo(b.decimalValue()) == 0;
        if (a.getNodeType() != b.getNodeType()) return false;
        return switch (a.getNodeType()) {
            case OBJECT -> {
                if (a.size() != b.size()) yield false;
                for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    JsonNode other = b.get(e.getKey());
                    if (other == null || !equal(e.getValue(), other)) yield false;
                }
                yield true;
            }
            case ARRAY -> {
                if (a.size() != b.size()) yield false;
                for (int i = 0; i < a.size(); i++) {
                    if (!equal(a.get(i), b.get(i))) yield false;
                }
                yield true;
            }
            default -> a.equals(b);
        };
    }

    /** The word Kubernetes users know for a JSON type, for error messages. */
    static String kind(JsonNode n) {
        if (n == null || n.isMissingNode()) return "nothing";
        JsonNodeType t = n.getNodeType();
        return switch (t) {
            case OBJECT, POJO -> "an object";
            case ARRAY -> "a list";
            case STRING, BINARY -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            case MISSING -> "nothing";
        };
    }

    static String brief(JsonNode n) {
        String s = Json.string(n);
        return s.length() > 120 ? s.substring(0, 117) + "..." : s;
    }
}
